/// devices: v1 devices.allow / devices.deny lines, in the order given (the planner puts
/// the spec's rules first, then the defaults runc adds); v2 has no devices files and
/// needs a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup (DeviceFilter).
enum DevicesController {
  static let field = "linux.resources.devices"

  static func v1(_ rules: [CgroupLimits.DeviceRule], dir: String?) throws(CgroupError) {
    guard !rules.isEmpty else { return }
    guard let dir else { throw .missingController(field, "devices") }
    for (i, rule) in rules.enumerated() {
      try CgroupFiles.write(dir, rule.allow ? "devices.allow" : "devices.deny", rule.v1Line,
                            field: "\(field)[\(i)]", append: true)
    }
  }

  static func v2(_ rules: [CgroupLimits.DeviceRule], dir: String) throws(CgroupError) {
    guard !rules.isEmpty else { return }
    try DeviceFilter.attach(rules, cgroupDirectory: dir)
  }
}
