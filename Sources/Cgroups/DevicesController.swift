extension CgroupSet {
  /// v1 devices controller: rules written in order, as devices.allow / devices.deny lines.
  /// (On cgroup v2 the same rules need a BPF device program: not implemented yet.)
  func applyDevices(_ rules: [CgroupLimits.DeviceRule]) throws(CgroupError) {
    guard !rules.isEmpty, let dir = directory(controller: "devices") else { return }
    for rule in rules {
      let file = dir + (rule.allow ? "/devices.allow" : "/devices.deny")
      try CgroupSet.write(file, rule.v1Line, field: "linux.resources.devices")
    }
  }
}
