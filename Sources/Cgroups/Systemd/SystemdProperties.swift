/// linux.resources → the unit properties systemd owns, as runc 1.1.5 converts them
/// (libcontainer/cgroups/systemd: genV2ResourcesProperties, genV1ResourcesProperties,
/// unifiedResToSystemdProps, addCpuQuota, addCPUSet). systemd writes these values into the
/// unit's cgroup again whenever it re-realizes it (daemon-reload, another SetUnitProperties), so
/// every value of a controller it manages must be told to it, or it would put its own back.
/// The driver still writes every field to the files afterwards (as runc's Set does), which is
/// what gives exact values where systemd rounds (CPUQuotaPerSecUSec) and covers what it does not
/// manage (swappiness, hugetlb, rdma, burst, idle, v1 cpuset, …).
enum SystemdProperties {
  /// What runc and systemd call USEC_INFINITY / CGROUP_LIMIT_MAX: "no limit".
  static let infinity = UInt64.max
  /// The kernel's default CFS period, assumed for a quota given without one.
  static let defaultPeriod: UInt64 = 100_000

  /// The unit itself: runc's properties for Apply, in its order.
  static func unit(_ unit: SystemdUnit, pid: Int32, unified: Bool) -> [UnitProperty] {
    var p = [UnitProperty("Description", .string(unit.description))]
    if unit.isSlice {
      p.append(.init("Wants", .strings([unit.slice])))
    } else {
      p.append(.init("Slice", .string(unit.slice)))
      p.append(.init("Delegate", .bool(true)))
    }
    p.append(.init("PIDs", .uint32s([UInt32(bitPattern: pid)])))
    p.append(.init("MemoryAccounting", .bool(true)))
    p.append(.init("CPUAccounting", .bool(true)))
    p.append(.init(unified ? "IOAccounting" : "BlockIOAccounting", .bool(true)))
    p.append(.init("TasksAccounting", .bool(true)))
    p.append(.init("DefaultDependencies", .bool(false)))
    return p
  }

  /// The resource properties of `l`. `version` is asked only when a property needs a newer
  /// systemd than some hosts run (CPUQuotaPeriodUSec: 242, AllowedCPUs: 244); a property the
  /// manager is too old for is left out with a warning (the file write still applies it).
  static func resources(
    _ l: CgroupLimits, unified: Bool, version: () -> Int, devices: DeviceGroups,
    warnings: inout [String]
  ) throws(CgroupError) -> [UnitProperty] {
    var p = try SystemdDeviceProperties.properties(l.devices, groups: devices, warnings: &warnings)
    let memory = l.memoryLimit.flatMap { $0 == 0 ? nil : $0 }
    if unified {
      if let memory { p.append(.init("MemoryMax", .uint64(UInt64(bitPattern: memory)))) }
      if let low = l.memoryReservation, low != 0 { p.append(.init("MemoryLow", .uint64(UInt64(bitPattern: low)))) }
      if let swap = try swapMax(l) { p.append(.init("MemorySwapMax", .uint64(swap))) }
      if let shares = l.cpuShares, shares != 0 {
        p.append(.init("CPUWeight", .uint64(CgroupConversions.cpuWeight(shares: shares))))
      }
    } else {
      if let memory { p.append(.init("MemoryLimit", .uint64(UInt64(bitPattern: memory)))) }
      if let shares = l.cpuShares, shares != 0 { p.append(.init("CPUShares", .uint64(shares))) }
    }
    try cpuQuota(quota: l.cpuQuota ?? 0, period: l.cpuPeriod ?? 0, version: version, into: &p, warnings: &warnings)
    if let pids = l.pidsLimit, pids > 0 || pids == -1 { p.append(.init("TasksMax", .uint64(UInt64(bitPattern: pids)))) }
    try cpuset(cpus: l.cpusetCpus, mems: l.cpusetMems, version: version, into: &p, warnings: &warnings)
    p += blockIO(l, unified: unified)
    if unified { p += try unifiedKeys(l.unified, version: version, warnings: &warnings) }
    return p
  }

  /// runc's ConvertMemorySwapToCgroupV2Value: v1's memory+swap → v2's swap alone; "memory
  /// unlimited, swap not given" is both unlimited. nil: nothing to send.
  static func swapMax(_ l: CgroupLimits) throws(CgroupError) -> UInt64? {
    let memory = l.memoryLimit ?? 0
    let swap = l.memorySwap ?? 0
    if memory == -1 && swap == 0 { return infinity }
    if swap == 0 { return nil }
    return try CgroupConversions.swapMax(swap: swap, limit: memory == 0 ? nil : memory).map { UInt64($0) } ?? infinity
  }

  /// runc's addCpuQuota: CPUQuotaPeriodUSec when a period is given; CPUQuotaPerSecUSec (the
  /// quota per second of wall time) rounded up to systemd's 10 ms granularity, infinity for
  /// no quota (0 or -1) with a period.
  static func cpuQuota(
    quota: Int64, period: UInt64, version: () -> Int, into p: inout [UnitProperty],
    warnings: inout [String]
  ) throws(CgroupError) {
    if period != 0 {
      if version() >= 242 {
        p.append(.init("CPUQuotaPeriodUSec", .uint64(period)))
      } else {
        warnings.append(
          "linux.resources.cpu.period: not told to systemd (CPUQuotaPeriodUSec needs systemd 242); written to the cgroup only"
        )
      }
    }
    guard quota != 0 || period != 0 else { return }
    var perSecond = infinity
    if quota > 0 {
      let (product, overflow) = UInt64(quota).multipliedReportingOverflow(by: 1_000_000)
      if overflow { throw .invalid("linux.resources.cpu.quota", "\(quota) is too large") }
      perSecond = product / (period == 0 ? defaultPeriod : period)
      if perSecond % 10_000 != 0 { perSecond = (perSecond / 10_000 + 1) * 10_000 }
    }
    p.append(.init("CPUQuotaPerSecUSec", .uint64(perSecond)))
  }

  /// runc's addCPUSet: AllowedCPUs / AllowedMemoryNodes as bit masks (systemd 244).
  static func cpuset(
    cpus: String?, mems: String?, version: () -> Int, into p: inout [UnitProperty],
    warnings: inout [String]
  ) throws(CgroupError) {
    let cpus = cpus.flatMap { $0.isEmpty ? nil : $0 }
    let mems = mems.flatMap { $0.isEmpty ? nil : $0 }
    guard cpus != nil || mems != nil else { return }
    guard version() >= 244 else {
      warnings.append(
        "linux.resources.cpu.cpus/mems: not told to systemd (AllowedCPUs needs systemd 244); written to the cgroup only"
      )
      return
    }
    if let cpus { p.append(.init("AllowedCPUs", .bytes(try rangeToBits(cpus, field: "linux.resources.cpu.cpus")))) }
    if let mems {
      p.append(.init("AllowedMemoryNodes", .bytes(try rangeToBits(mems, field: "linux.resources.cpu.mems"))))
    }
  }

  /// runc's RangeToBits: "0-2,5" → bytes of a bit mask, lowest CPU in the first byte's lowest
  /// bit, as long as the highest bit needs. Empty elements and spaces are allowed; an empty
  /// mask, a reversed range and CPUs beyond 65535 are refused.
  static func rangeToBits(_ text: String, field: String) throws(CgroupError) -> [UInt8] {
    var bytes: [UInt8] = []
    for element in text.split(separator: ",", omittingEmptySubsequences: false) {
      let item = element.trimmingSpaces
      if item.isEmpty { continue }
      let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
        UInt32($0.trimmingSpaces)
      }
      guard bounds.allSatisfy({ $0 != nil }), let low = bounds.first!, let high = bounds.last!, low <= high else {
        throw .invalid(field, "\"\(text)\": \"\(item)\" is not a number or a range low-high")
      }
      guard high < 65536 else {
        throw .invalid(field, "\"\(text)\": \(high) is beyond the 65536 CPUs or nodes hull handles")
      }
      if bytes.count <= Int(high / 8) { bytes += [UInt8](repeating: 0, count: Int(high / 8) + 1 - bytes.count) }
      for bit in low...high { bytes[Int(bit / 8)] |= 1 << (bit % 8) }
    }
    guard !bytes.isEmpty else { throw .invalid(field, "\"\(text)\": empty CPU or node list") }
    return bytes
  }

  /// Block I/O: v2 IOWeight, IODeviceWeight and the IO*Max throttles; v1 BlockIOWeight,
  /// BlockIODeviceWeight and BlockIO{Read,Write}Bandwidth (systemd has no v1 IOPS property).
  /// Devices are named by /dev/block/MAJOR:MINOR, which systemd resolves itself.
  static func blockIO(_ l: CgroupLimits, unified: Bool) -> [UnitProperty] {
    func rows(_ list: [CgroupLimits.BlockDeviceValue], convert: (UInt64) -> UInt64 = { $0 }) -> BusValue {
      .structs(fields: "st", list.map { [.string("/dev/block/\($0.major):\($0.minor)"), .uint64(convert($0.value))] })
    }
    var p: [UnitProperty] = []
    if unified {
      if let w = l.blkioWeight, w != 0 {
        p.append(.init("IOWeight", .uint64(CgroupConversions.ioWeight(blkio: UInt64(w)))))
      }
      if !l.blkioWeightDevices.isEmpty {
        p.append(.init("IODeviceWeight", rows(l.blkioWeightDevices) { CgroupConversions.ioWeight(blkio: $0) }))
      }
      if !l.blkioThrottleReadBps.isEmpty { p.append(.init("IOReadBandwidthMax", rows(l.blkioThrottleReadBps))) }
      if !l.blkioThrottleWriteBps.isEmpty { p.append(.init("IOWriteBandwidthMax", rows(l.blkioThrottleWriteBps))) }
      if !l.blkioThrottleReadIOPS.isEmpty { p.append(.init("IOReadIOPSMax", rows(l.blkioThrottleReadIOPS))) }
      if !l.blkioThrottleWriteIOPS.isEmpty { p.append(.init("IOWriteIOPSMax", rows(l.blkioThrottleWriteIOPS))) }
    } else {
      if let w = l.blkioWeight, w != 0 { p.append(.init("BlockIOWeight", .uint64(UInt64(w)))) }
      if !l.blkioWeightDevices.isEmpty { p.append(.init("BlockIODeviceWeight", rows(l.blkioWeightDevices))) }
      if !l.blkioThrottleReadBps.isEmpty { p.append(.init("BlockIOReadBandwidth", rows(l.blkioThrottleReadBps))) }
      if !l.blkioThrottleWriteBps.isEmpty { p.append(.init("BlockIOWriteBandwidth", rows(l.blkioThrottleWriteBps))) }
    }
    return p
  }

  /// runc's unifiedResToSystemdProps: linux.resources.unified keys systemd has properties for
  /// (sent after the converted fields, so they win as they do in the files). Other keys are
  /// only written to the files.
  static func unifiedKeys(_ keys: [CgroupLimits.KeyValue], version: () -> Int, warnings: inout [String])
    throws(CgroupError) -> [UnitProperty]
  {
    var p: [UnitProperty] = []
    for entry in keys {
      let field = "linux.resources.unified.\(entry.key)"
      let value = entry.value.trimmingSpaces
      func number(_ text: Substring) throws(CgroupError) -> UInt64 {
        if text == "max" { return infinity }
        guard let n = UInt64(text) else { throw .invalid(field, "\"\(entry.value)\" is not a number or max") }
        return n
      }
      switch entry.key {
      case "cpu.max":
        let words = value.split(separator: " ")
        guard (1...2).contains(words.count) else {
          throw .invalid(field, "\"\(entry.value)\": expected \"quota [period]\"")
        }
        let quota = words[0] == "max" ? 0 : Int64(words[0])
        let period = words.count == 2 ? UInt64(words[1]) : defaultPeriod
        guard let quota, let period else {
          throw .invalid(field, "\"\(entry.value)\": expected \"quota [period]\" numbers")
        }
        try cpuQuota(quota: quota, period: period, version: version, into: &p, warnings: &warnings)
      case "cpu.weight": p.append(.init("CPUWeight", .uint64(try number(value))))
      case "cpuset.cpus": try cpuset(cpus: String(value), mems: nil, version: version, into: &p, warnings: &warnings)
      case "cpuset.mems": try cpuset(cpus: nil, mems: String(value), version: version, into: &p, warnings: &warnings)
      case "memory.high": p.append(.init("MemoryHigh", .uint64(try number(value))))
      case "memory.low": p.append(.init("MemoryLow", .uint64(try number(value))))
      case "memory.min": p.append(.init("MemoryMin", .uint64(try number(value))))
      case "memory.max": p.append(.init("MemoryMax", .uint64(try number(value))))
      case "memory.swap.max": p.append(.init("MemorySwapMax", .uint64(try number(value))))
      case "pids.max":
        if value == "max" {
          p.append(.init("TasksMax", .uint64(infinity)))
          continue
        }
        guard let n = Int64(value) else { throw .invalid(field, "\"\(entry.value)\" is not a number or max") }
        p.append(.init("TasksMax", .uint64(UInt64(bitPattern: n))))
      default: continue
      }
    }
    return p
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces, tabs and newlines.
  var trimmingSpaces: Substring {
    let s = Substring(self)
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
    guard let first = s.firstIndex(where: { !blank($0) }), let last = s.lastIndex(where: { !blank($0) }) else {
      return ""
    }
    return s[first...last]
  }
}
