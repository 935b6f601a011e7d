/// unified: cgroup v2 file → value, written as given after every converted field. Keys
/// that would move processes or reshape the tree are refused, as are paths.
enum UnifiedController {
  static let field = "linux.resources.unified"
  static let refused = ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control"]

  /// `dir` is the unified directory (nil on a pure v1 host).
  static func apply(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard !l.unified.isEmpty else { return }
    for kv in l.unified {
      let name = "\(field).\(kv.key)"
      if kv.key.isEmpty || kv.key.contains("/") || kv.key.hasPrefix(".") {
        throw .invalid(name, "a key must be a file name in the container's cgroup directory, not a path")
      }
      if refused.contains(kv.key) {
        throw .invalid(name, "\(kv.key) is managed by the runtime and cannot be set through linux.resources.unified")
      }
    }
    guard let dir else {
      throw .unsupported(field, "needs the cgroup v2 (unified) hierarchy; this host mounts only cgroup v1")
    }
    for kv in l.unified {
      try CgroupFiles.write(dir, kv.key, kv.value, field: "\(field).\(kv.key)")
    }
  }
}
