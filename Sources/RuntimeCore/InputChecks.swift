import Glibc
import OCISpec

/// Values the spec model accepts but the kernel would truncate or the runtime would choke on,
/// found by drydock's bad-input corpus: refused with the field's path, before anything is made.
enum InputChecks {
  /// Far above the kernel's 41 capabilities: a longer list is hostile, and resolving it costs time.
  static let maxCapabilityNames = 1024

  static func check(_ spec: Spec) throws(RuntimeError) {
    func fail(_ field: String, _ reason: String) -> RuntimeError {
      RuntimeError("plan", "config.json", reason: "\(field): \(reason)", errno: EINVAL)
    }
    func noNUL(_ value: String, _ field: String) throws(RuntimeError) {
      if value.utf8.contains(0) { throw fail(field, "contains a NUL byte") }
    }
    if let process = spec.process {
      for (i, arg) in process.args.enumerated() { try noNUL(arg, "process.args[\(i)]") }
      for (i, entry) in process.env.enumerated() {
        try noNUL(entry, "process.env[\(i)]")
        guard let eq = entry.utf8.firstIndex(of: UInt8(ascii: "=")), eq != entry.utf8.startIndex else {
          throw fail("process.env[\(i)]", "expected KEY=value")
        }
      }
      try noNUL(process.cwd, "process.cwd")
      if let caps = process.capabilities {
        for (name, list) in [("bounding", caps.bounding), ("effective", caps.effective), ("inheritable", caps.inheritable),
                             ("permitted", caps.permitted), ("ambient", caps.ambient)] where list.count > maxCapabilityNames {
          throw fail("process.capabilities.\(name)", "\(list.count) names, at most \(maxCapabilityNames) are accepted")
        }
      }
    }
    if let hostname = spec.hostname { try noNUL(hostname, "hostname") }
    if let domainname = spec.domainname { try noNUL(domainname, "domainname") }
    let strictVersion = spec.ociVersion.hasPrefix("1.0")
    for (i, mount) in spec.mounts.enumerated() {
      try noNUL(mount.destination, "mounts[\(i)].destination")
      if let source = mount.source { try noNUL(source, "mounts[\(i)].source") }
      // 1.0.x: the destination MUST be absolute; 1.1 relaxed it (runc accepts it with a warning).
      if strictVersion && !mount.destination.hasPrefix("/") {
        throw fail("mounts[\(i)].destination", "\"\(mount.destination)\" is not absolute (required by ociVersion \(spec.ociVersion))")
      }
    }
  }
}
