import Cgroups
import Glibc
import OCISpec

/// linux.resources → CgroupLimits, plus the device rules runc and crun always add.
enum CgroupPlanner {
  /// Allowed even under a deny-all rule, as runc does: mknod of anything, and the
  /// default devices, ptys and tun.
  static let defaultAllowed: [CgroupLimits.DeviceRule] = [
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

  static func limits(from resources: Resources?, devices: [LaunchPlan.DeviceNode], warnings: inout [String]) throws(RuntimeError) -> CgroupLimits {
    var limits = CgroupLimits()
    guard let resources else { return limits }
    var unsupported: [String] = []
    if resources.blockIO != nil { unsupported.append("linux.resources.blockIO") }
    if !resources.hugepageLimits.isEmpty { unsupported.append("linux.resources.hugepageLimits") }
    if resources.network != nil { unsupported.append("linux.resources.network") }
    if !resources.rdma.isEmpty { unsupported.append("linux.resources.rdma") }
    if !resources.unified.isEmpty { unsupported.append("linux.resources.unified") }
    if let cpu = resources.cpu {
      if cpu.realtimeRuntime != nil || cpu.realtimePeriod != nil { unsupported.append("linux.resources.cpu.realtime*") }
      if cpu.burst != nil { unsupported.append("linux.resources.cpu.burst") }
      if cpu.idle != nil { unsupported.append("linux.resources.cpu.idle") }
      limits.cpuShares = cpu.shares
      limits.cpuQuota = cpu.quota
      limits.cpuPeriod = cpu.period
      limits.cpusetCpus = cpu.cpus
      limits.cpusetMems = cpu.mems
    }
    if !unsupported.isEmpty {
      throw RuntimeError("plan", "config.json", reason: "\(unsupported.joined(separator: ", ")): not supported by hull yet", errno: ENOTSUP)
    }
    if let memory = resources.memory {
      limits.memoryLimit = memory.limit
      limits.memoryReservation = memory.reservation
      limits.memorySwap = memory.swap
      limits.memorySwappiness = memory.swappiness
      limits.disableOOMKiller = memory.disableOOMKiller
      if memory.kernel != nil || memory.kernelTCP != nil {
        warnings.append("linux.resources.memory.kernel/kernelTCP: deprecated by the kernel, ignored")
      }
    }
    limits.pidsLimit = resources.pids?.limit
    if !resources.devices.isEmpty {
      for rule in resources.devices {
        let type: Character = rule.type.flatMap { $0.first } ?? "a"
        let everything = type == "a" && rule.major == nil && rule.minor == nil
        limits.devices.append(.init(allow: rule.allow, type: everything ? "a" : type,
                                    major: rule.major.flatMap { $0 < 0 ? nil : $0 },
                                    minor: rule.minor.flatMap { $0 < 0 ? nil : $0 }, access: rule.access ?? "rwm"))
      }
      limits.devices += defaultAllowed
      for node in devices where node.type == "c" || node.type == "b" || node.type == "u" {
        let type: Character = node.type == "b" ? "b" : "c"
        let rule = CgroupLimits.DeviceRule(allow: true, type: type, major: Int64(node.major), minor: Int64(node.minor), access: "rwm")
        if !limits.devices.contains(rule) { limits.devices.append(rule) }
      }
    }
    return limits
  }
}
