import Cgroups
import Glibc
import OCISpec

/// linux.resources → CgroupLimits (every field), plus runc's default device policy.
enum CgroupPlanner {
  /// runc's device rules: deny everything, then the spec's rules in order, then the defaults.
  static func devicePolicy(_ spec: [DeviceRule]) -> [CgroupLimits.DeviceRule] {
    var specRules = deviceRules(spec)
    // The spec's own leading deny-all (every `runc spec` config has one) repeats ours: a second
    // write that changes nothing.
    if specRules.first == .denyAll { specRules.removeFirst() }
    return [.denyAll] + specRules + CgroupLimits.DeviceRule.defaultAllowed
  }

  /// Every field of linux.resources, unconverted (the v2 driver converts). Zeros that
  /// runc treats as "unset" (memory sizes, cpu shares/quota/period) are left to the
  /// drivers, which skip them. With `devicePolicy` (create, unless rootless), the devices
  /// are runc's policy even when the spec sets none; without it (update, rootless) only a
  /// spec that lists device rules gets them, followed by the defaults.
  static func limits(
    from resources: Resources?, devicePolicy withPolicy: Bool,
    warnings: inout [String]
  ) throws(RuntimeError) -> CgroupLimits {
    var limits = CgroupLimits()
    if withPolicy { limits.devices = devicePolicy(resources?.devices ?? []) }
    guard let resources else { return limits }
    mapCPU(resources.cpu, into: &limits)
    mapMemory(resources.memory, into: &limits, warnings: &warnings)
    limits.pidsLimit = resources.pids?.limit
    mapBlockIO(resources.blockIO, into: &limits)
    limits.hugepageLimits = resources.hugepageLimits.map { .init(pageSize: $0.pageSize, limit: $0.limit) }
    if let network = resources.network {
      limits.networkClassID = network.classID
      limits.networkPriorities = network.priorities.map { .init($0.name, String($0.priority)) }
    }
    limits.rdma = resources.rdma.map {
      .init(device: $0.key, hcaHandles: $0.value.hcaHandles, hcaObjects: $0.value.hcaObjects)
    }
    limits.unified = resources.unified.map { .init($0.key, $0.value) }
    if !withPolicy && !resources.devices.isEmpty {
      // Only runc's default list: linux.devices creates nodes, resources.devices grants
      // access (a listed device stays denied unless a rule allows it, as with runc and crun).
      limits.devices = deviceRules(resources.devices) + CgroupLimits.DeviceRule.defaultAllowed
    }
    return limits
  }

  static func deviceRules(_ rules: [DeviceRule]) -> [CgroupLimits.DeviceRule] {
    rules.map { rule in
      let type: Character = rule.type.flatMap { $0.first } ?? "a"
      let everything = type == "a" && rule.major == nil && rule.minor == nil
      return .init(
        allow: rule.allow, type: everything ? "a" : type, major: rule.major.flatMap { $0 < 0 ? nil : $0 },
        minor: rule.minor.flatMap { $0 < 0 ? nil : $0 }, access: rule.access ?? "rwm")
    }
  }

  /// `hull update`: the same mapping, except devices, which runc's update leaves alone
  /// too (rewriting them on a live container would briefly deny everything).
  static func updateLimits(from resources: Resources, warnings: inout [String]) throws(RuntimeError) -> CgroupLimits {
    var r = resources
    if !r.devices.isEmpty {
      warnings.append("linux.resources.devices: not changed by update (set at create)")
      r.devices = []
    }
    var l = try limits(from: r, devicePolicy: false, warnings: &warnings)
    // docker sends {"pids":{"limit":0}} for "unchanged"; runc reads 0 as unset too.
    if l.pidsLimit == 0 { l.pidsLimit = nil }
    return l
  }

  static func mapCPU(_ cpu: CPU?, into l: inout CgroupLimits) {
    guard let cpu else { return }
    l.cpuShares = cpu.shares
    l.cpuQuota = cpu.quota
    l.cpuPeriod = cpu.period
    l.cpuBurst = cpu.burst
    l.cpuRealtimeRuntime = cpu.realtimeRuntime
    l.cpuRealtimePeriod = cpu.realtimePeriod
    l.cpuIdle = cpu.idle
    l.cpusetCpus = cpu.cpus
    l.cpusetMems = cpu.mems
  }

  static func mapMemory(_ memory: Memory?, into l: inout CgroupLimits, warnings: inout [String]) {
    guard let memory else { return }
    l.memoryLimit = memory.limit
    l.memoryReservation = memory.reservation
    l.memorySwap = memory.swap
    l.memorySwappiness = memory.swappiness
    l.disableOOMKiller = memory.disableOOMKiller
    l.memoryUseHierarchy = memory.useHierarchy
    l.memoryCheckBeforeUpdate = memory.checkBeforeUpdate
    // memory.kernel: the spec parser warns (kernels since 5.4 have no such limit).
    l.memoryKernelTCP = memory.kernelTCP
  }

  static func mapBlockIO(_ b: BlockIO?, into l: inout CgroupLimits) {
    guard let b else { return }
    l.blkioWeight = b.weight
    l.blkioLeafWeight = b.leafWeight
    for d in b.weightDevice {
      if let w = d.weight { l.blkioWeightDevices.append(.init(major: d.major, minor: d.minor, value: UInt64(w))) }
      if let w = d.leafWeight {
        l.blkioLeafWeightDevices.append(.init(major: d.major, minor: d.minor, value: UInt64(w)))
      }
    }
    func rates(_ list: [ThrottleDevice]) -> [CgroupLimits.BlockDeviceValue] {
      list.map { .init(major: $0.major, minor: $0.minor, value: $0.rate) }
    }
    l.blkioThrottleReadBps = rates(b.throttleReadBpsDevice)
    l.blkioThrottleWriteBps = rates(b.throttleWriteBpsDevice)
    l.blkioThrottleReadIOPS = rates(b.throttleReadIOPSDevice)
    l.blkioThrottleWriteIOPS = rates(b.throttleWriteIOPSDevice)
  }
}
