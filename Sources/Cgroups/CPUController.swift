extension CgroupSet {
  func applyCPU(_ limits: CgroupLimits) throws(CgroupError) {
    if let dir = directory(controller: "cpu") {
      if let v = limits.cpuShares { try CgroupSet.write(dir + "/cpu.shares", String(v), field: "linux.resources.cpu.shares") }
      if let v = limits.cpuPeriod { try CgroupSet.write(dir + "/cpu.cfs_period_us", String(v), field: "linux.resources.cpu.period") }
      if let v = limits.cpuQuota { try CgroupSet.write(dir + "/cpu.cfs_quota_us", String(v), field: "linux.resources.cpu.quota") }
    } else if host.mode == .unified, let dir = unifiedDirectory {
      // runc's conversion: weight = 1 + ((shares - 2) * 9999) / 262142.
      if let shares = limits.cpuShares, shares >= 2 {
        try CgroupSet.write(dir + "/cpu.weight", String(1 + ((shares - 2) * 9999) / 262142), field: "linux.resources.cpu.shares")
      }
      if limits.cpuQuota != nil || limits.cpuPeriod != nil {
        let quota = limits.cpuQuota.map { $0 < 0 ? "max" : String($0) } ?? "max"
        try CgroupSet.write(dir + "/cpu.max", "\(quota) \(limits.cpuPeriod ?? 100000)", field: "linux.resources.cpu.quota")
      }
    }
  }

  func applyCpuset(_ limits: CgroupLimits) throws(CgroupError) {
    let dir = directory(controller: "cpuset") ?? (host.mode == .unified ? unifiedDirectory : nil)
    guard let dir else { return }
    if let v = limits.cpusetCpus { try CgroupSet.write(dir + "/cpuset.cpus", v, field: "linux.resources.cpu.cpus") }
    if let v = limits.cpusetMems { try CgroupSet.write(dir + "/cpuset.mems", v, field: "linux.resources.cpu.mems") }
  }

  /// Writes every limit of `limits` (create and update).
  public func apply(_ limits: CgroupLimits) throws(CgroupError) {
    try applyDevices(limits.devices)
    try applyMemory(limits)
    try applyPids(limits)
    try applyCPU(limits)
    try applyCpuset(limits)
  }
}
