import Glibc
import OCISpec

/// Values the spec model accepts but the kernel would truncate or the runtime would choke on,
/// found by drydock's bad-input corpus: refused with the field's path, before anything is made.
enum InputChecks {
  /// Far above the kernel's 41 capabilities: a longer list is hostile, and resolving it costs time.
  static let maxCapabilityNames = 1024

  static func fail(_ field: String, _ reason: String) -> RuntimeError {
    RuntimeError("plan", "config.json", reason: "\(field): \(reason)", errno: EINVAL)
  }

  static func check(_ spec: Spec) throws(RuntimeError) {
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
      try staysInRoot(process.cwd, "process.cwd")
      if let caps = process.capabilities {
        try caps.forEachSet { (name, list) throws(RuntimeError) in
          if list.count > maxCapabilityNames {
            throw fail(
              "process.capabilities.\(name)", "\(list.count) names, at most \(maxCapabilityNames) are accepted")
          }
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
        throw fail(
          "mounts[\(i)].destination",
          "\"\(mount.destination)\" is not absolute (required by ociVersion \(spec.ociVersion))")
      }
      try staysInRoot(mount.destination, "mounts[\(i)].destination")
    }
    for (i, device) in (spec.linux?.devices ?? []).enumerated() {
      try staysInRoot(device.path, "linux.devices[\(i)].path")
      // Permission bits only: a setuid or setgid device node has no use but an attack's.
      if let mode = device.fileMode, mode & 0o6000 != 0 {
        throw fail("linux.devices[\(i)].fileMode", "0o\(String(mode, radix: 8)) sets setuid or setgid on a device node")
      }
    }
    for (i, path) in (spec.linux?.maskedPaths ?? []).enumerated() { try staysInRoot(path, "linux.maskedPaths[\(i)]") }
    for (i, path) in (spec.linux?.readonlyPaths ?? []).enumerated() {
      try staysInRoot(path, "linux.readonlyPaths[\(i)]")
    }
    try SysctlPolicy.check(spec)
  }

  /// Refuses a path whose `..` climb above the container's root ("/../etc", "a/../../x"). hull
  /// would contain it (paths resolve inside the rootfs), but no honest config writes one, and
  /// runc's silent clamping to "/" hides the mistake. Symlinks in the rootfs are the image's
  /// business and are resolved inside it instead (see RootfsPath).
  static func staysInRoot(_ path: String, _ field: String) throws(RuntimeError) {
    var depth = 0
    for component in path.utf8.split(separator: UInt8(ascii: "/")) {
      if component.elementsEqual("..".utf8) {
        depth -= 1
        if depth < 0 { throw fail(field, "\"\(path)\" climbs out of the container's root with \"..\"") }
      } else if !component.elementsEqual(".".utf8) {
        depth += 1
      }
    }
  }
}
