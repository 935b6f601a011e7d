/// memory: limit, reservation, swap, swappiness, disableOOMKiller, useHierarchy,
/// checkBeforeUpdate, kernelTCP on v1 (kernel is dropped by the spec parser with a warning:
/// the kernel removed kmem limits). Plus the memory part of the stats.
enum MemoryController {
  static let prefix = "linux.resources.memory."

  // MARK: v1

  static func v1(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard l.hasMemory else { return }
    guard let dir else { throw .missingController(prefix + "limit", "memory") }
    let limit = l.memoryLimit.flatMap { $0 == 0 ? nil : $0 }
    var swap = l.memorySwap.flatMap { $0 == 0 ? nil : $0 }
    // "Unlimited memory, swap not given" means both unlimited (runc): memsw must not
    // stay below an unlimited limit.
    if limit == -1, swap == nil, CgroupFiles.exists(dir, "memory.memsw.limit_in_bytes") { swap = -1 }
    // memsw must stay >= limit at every step: when the new memory+swap is above the
    // current memory limit (or unlimited), raise memsw first; otherwise lower the limit first.
    if let swap {
      let current = CgroupFiles.value(dir, "memory.limit_in_bytes").flatMap { Int64($0) } ?? Int64.max
      if swap == -1 || current < swap {
        try writeSwapV1(swap, dir: dir)
        if let limit { try writeLimitV1(limit, dir: dir) }
      } else {
        if let limit { try writeLimitV1(limit, dir: dir) }
        try writeSwapV1(swap, dir: dir)
      }
    } else if let limit {
      try writeLimitV1(limit, dir: dir)
    }
    if let r = l.memoryReservation, r != 0 {
      try CgroupFiles.write(dir, "memory.soft_limit_in_bytes", String(r), field: prefix + "reservation")
    }
    if let s = l.memorySwappiness {
      guard s <= 100 else { throw .invalid(prefix + "swappiness", "\(s) is out of range 0-100") }
      try CgroupFiles.write(dir, "memory.swappiness", String(s), field: prefix + "swappiness")
    }
    // runc only ever enables this; writing 0 by default would fail needlessly elsewhere.
    if l.disableOOMKiller == true {
      try CgroupFiles.write(dir, "memory.oom_control", "1", field: prefix + "disableOOMKiller")
    }
    if let h = l.memoryUseHierarchy {
      do {
        try CgroupFiles.write(dir, "memory.use_hierarchy", h ? "1" : "0", field: prefix + "useHierarchy")
      } catch  where !h && error.errno == EINVAL_ {
        throw .unsupported(
          prefix + "useHierarchy",
          "this kernel's memory controller is always hierarchical (memory.use_hierarchy cannot be set to 0)")
      }
    }
    if let tcp = l.memoryKernelTCP {
      guard CgroupFiles.exists(dir, "memory.kmem.tcp.limit_in_bytes") else {
        throw .unsupported(prefix + "kernelTCP", "this kernel has no memory.kmem.tcp.limit_in_bytes")
      }
      try CgroupFiles.write(dir, "memory.kmem.tcp.limit_in_bytes", String(tcp), field: prefix + "kernelTCP")
    }
    // checkBeforeUpdate: on v1 the kernel itself refuses a limit below the usage (EBUSY).
  }

  /// The kernel's two refusals get their reason spelled out: EINVAL when the limit would
  /// exceed memory+swap, EBUSY when it is below what the cgroup uses and cannot reclaim.
  static func writeLimitV1(_ limit: Int64, dir: String) throws(CgroupError) {
    do {
      try CgroupFiles.write(dir, "memory.limit_in_bytes", String(limit), field: prefix + "limit")
    } catch  where error.errno == EINVAL_ {
      let memsw = CgroupFiles.value(dir, "memory.memsw.limit_in_bytes") ?? "?"
      throw CgroupError(
        error.operation, error.path, errno: error.errno,
        detail: "above the current memory+swap limit \(memsw); set linux.resources.memory.swap (--memory-swap) too")
    } catch  where error.errno == EBUSY_ {
      let usage = CgroupFiles.value(dir, "memory.usage_in_bytes") ?? "?"
      throw CgroupError(
        error.operation, error.path, errno: error.errno,
        detail: "below the current usage \(usage), which the kernel could not reclaim")
    }
  }

  static func writeSwapV1(_ swap: Int64, dir: String) throws(CgroupError) {
    try CgroupFiles.write(dir, "memory.memsw.limit_in_bytes", String(swap), field: prefix + "swap")
  }

  // MARK: v2

  static func v2(_ l: CgroupLimits, dir: String, update: Bool) throws(CgroupError) {
    if l.memorySwappiness != nil {
      throw .unsupported(prefix + "swappiness", "cgroup v2 has no memory.swappiness (v1 only)")
    }
    if l.disableOOMKiller == true {
      throw .unsupported(prefix + "disableOOMKiller", "cgroup v2 cannot disable the OOM killer (no memory.oom_control)")
    }
    if l.memoryUseHierarchy == false {
      throw .unsupported(prefix + "useHierarchy", "cgroup v2 is always hierarchical")
    }
    let limit = l.memoryLimit.flatMap { $0 == 0 ? nil : $0 }
    if let limit, limit > 0, l.memoryCheckBeforeUpdate == true,
      let usage = CgroupFiles.number(dir, "memory.current"), UInt64(limit) < usage
    {
      throw .invalid(prefix + "limit", "new limit \(limit) is below the current usage \(usage) (checkBeforeUpdate)")
    }
    // Swap before memory as runc does; a swap-only update converts against the limit in force.
    var swapMax: String?
    if let swap = l.memorySwap, swap != 0 {
      var inForce = limit
      if inForce == nil, update { inForce = CgroupFiles.value(dir, "memory.max").flatMap { Int64($0) } }
      swapMax = try CgroupConversions.swapMax(swap: swap, limit: inForce).map(String.init) ?? "max"
    } else if limit == -1 {
      // "memory unlimited, swap not given" means both unlimited, as with v1 memsw.
      swapMax = "max"
    }
    if let swapMax {
      do {
        try CgroupFiles.write(dir, "memory.swap.max", swapMax, field: prefix + "swap")
      } catch  where swapMax == "max" && error.errno == 2 {
        // No swap accounting: "unlimited" is what the host does anyway.
      }
    }
    if let limit {
      try CgroupFiles.write(dir, "memory.max", limit < 0 ? "max" : String(limit), field: prefix + "limit")
    }
    if let r = l.memoryReservation, r != 0 {
      try CgroupFiles.write(dir, "memory.low", r < 0 ? "max" : String(r), field: prefix + "reservation")
    }
  }

  // MARK: stats

  static func statsV1(dir: String, into s: inout CgroupStats) {
    func entry(_ p: String) -> CgroupStats.MemoryEntry {
      CgroupStats.MemoryEntry(
        limit: CgroupFiles.number(dir, p + "limit_in_bytes") ?? 0,
        usage: CgroupFiles.number(dir, p + "usage_in_bytes") ?? 0,
        max: CgroupFiles.number(dir, p + "max_usage_in_bytes") ?? 0,
        failcnt: CgroupFiles.number(dir, p + "failcnt") ?? 0)
    }
    s.memory.usage = entry("memory.")
    s.memory.swap = entry("memory.memsw.")
    s.memory.kernel = entry("memory.kmem.")
    s.memory.kernelTCP = entry("memory.kmem.tcp.")
    s.memory.raw = CgroupFiles.keyValues(dir, "memory.stat").map { .init(key: $0.key, value: $0.value) }
    s.memory.cache = s.memory.raw.first { $0.key == "cache" }?.value ?? 0
  }

  static func statsV2(dir: String, into s: inout CgroupStats) {
    let unlimited = UInt64.max
    let usage = CgroupFiles.number(dir, "memory.current") ?? 0
    let events = CgroupFiles.keyValues(dir, "memory.events")
    s.memory.usage = .init(
      limit: CgroupFiles.number(dir, "memory.max") ?? unlimited, usage: usage,
      max: CgroupFiles.number(dir, "memory.peak") ?? 0,
      failcnt: CgroupFiles.lookup(events, "max") ?? 0)
    // v1 reports memory+swap; report the same sum for compatibility, as runc does.
    let swapUsage = CgroupFiles.number(dir, "memory.swap.current") ?? 0
    s.memory.swap = .init(limit: CgroupFiles.number(dir, "memory.swap.max") ?? unlimited, usage: swapUsage + usage)
    s.memory.raw = CgroupFiles.keyValues(dir, "memory.stat").map { .init(key: $0.key, value: $0.value) }
    s.memory.cache = s.memory.raw.first { $0.key == "file" }?.value ?? 0
  }
}
