/// devices: v1 devices.allow / devices.deny lines, in the order given (the planner puts
/// the spec's rules first, then the defaults runc adds); v2 has no devices files and
/// needs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup (DeviceFilter).
enum DevicesController {
  static let field = "linux.resources.devices"

  static func v1(_ rules: [CgroupLimits.DeviceRule], dir: String?) throws(CgroupError) {
    guard !rules.isEmpty else { return }
    guard let dir else { throw .missingController(field, "devices") }
    try CgroupFiles.appendEach(
      dir,
      rules.enumerated().map { i, rule in
        (rule.allow ? "devices.allow" : "devices.deny", rule.v1Line, "\(field)[\(i)]")
      })
  }

  static func v2(_ rules: [CgroupLimits.DeviceRule], dir: String) throws(CgroupError) {
    guard !rules.isEmpty else { return }
    try DeviceFilter.attach(rules, cgroupDirectory: dir)
  }
}

/// runc's default device policy (libcontainer/specconv AllowedDevices), which the planner wraps
/// around the spec's rules: deny-all first (runc's device emulator starts empty), the spec's
/// rules, then these. Without it a process with CAP_MKNOD could mknod and open any host device.
extension CgroupLimits.DeviceRule {
  public static let denyAll = Self(allow: false, type: "a", major: nil, minor: nil, access: "rwm")

  /// Allowed after the spec's rules (a spec rule cannot deny them): mknod of anything (a node
  /// is harmless while it cannot be opened), null, random, full, tty, zero, urandom, the ptys
  /// (136:*), ptmx and /dev/net/tun.
  public static let defaultAllowed: [Self] = [
    .init(allow: true, type: "c", major: nil, minor: nil, access: "m"),
    .init(allow: true, type: "b", major: nil, minor: nil, access: "m"),
    .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
    .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
    .init(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),
    .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
    .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
    .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
    .init(allow: true, type: "c", major: 136, minor: nil, access: "rwm"),
    .init(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),
    .init(allow: true, type: "c", major: 10, minor: 200, access: "rwm"),
  ]
}
