import Glibc

/// cpu (shares/weight, quota, period, burst, realtime, idle) and cpuset (cpus, mems),
/// plus the cpu part of the stats (v1 cpuacct + cpu.stat, v2 cpu.stat).
enum CPUController {
  static let prefix = "linux.resources.cpu."

  // MARK: v1

  static func v1(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard l.hasCPU else { return }
    guard let dir else { throw .missingController(prefix + firstSetField(l), "cpu") }
    if let shares = l.cpuShares, shares != 0 {
      try CgroupFiles.write(dir, "cpu.shares", String(shares), field: prefix + "shares")
      // The kernel clamps silently to 2..262144: say so rather than run with another value.
      if let got = CgroupFiles.number(dir, "cpu.shares"), got != shares {
        throw .invalid(prefix + "shares", "the kernel set cpu.shares to \(got) instead of \(shares) (range 2-262144)")
      }
    }
    try writeQuotaAndPeriod(l, dir: dir)
    if let burst = l.cpuBurst { try CgroupFiles.write(dir, "cpu.cfs_burst_us", String(burst), field: prefix + "burst") }
    // The period first: a runtime above the current period is rejected.
    if let p = l.cpuRealtimePeriod, p != 0 {
      try CgroupFiles.write(dir, "cpu.rt_period_us", String(p), field: prefix + "realtimePeriod")
    }
    if let r = l.cpuRealtimeRuntime, r != 0 {
      try CgroupFiles.write(dir, "cpu.rt_runtime_us", String(r), field: prefix + "realtimeRuntime")
    }
    if let idle = l.cpuIdle { try CgroupFiles.write(dir, "cpu.idle", String(idle), field: prefix + "idle") }
  }

  /// As runc: a new period smaller than the current one can be refused (EINVAL) while the
  /// old quota is in force; when a quota is also being set, write it and retry the period.
  static func writeQuotaAndPeriod(_ l: CgroupLimits, dir: String) throws(CgroupError) {
    let quota = l.cpuQuota.flatMap { $0 == 0 ? nil : $0 }
    var periodPending = false
    if let period = l.cpuPeriod, period != 0 {
      do {
        try CgroupFiles.write(dir, "cpu.cfs_period_us", String(period), field: prefix + "period")
      } catch {
        guard error.errno == EINVAL, quota != nil else { throw error }
        periodPending = true
      }
    }
    if let quota {
      try CgroupFiles.write(dir, "cpu.cfs_quota_us", String(quota < 0 ? -1 : quota), field: prefix + "quota")
      if periodPending, let period = l.cpuPeriod {
        try CgroupFiles.write(dir, "cpu.cfs_period_us", String(period), field: prefix + "period")
      }
    }
  }

  static func cpusetV1(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard l.hasCpuset else { return }
    guard let dir else { throw .missingController(prefix + (l.cpusetCpus != nil ? "cpus" : "mems"), "cpuset") }
    if let cpus = l.cpusetCpus, !cpus.isEmpty {
      try CgroupFiles.write(dir, "cpuset.cpus", cpus, field: prefix + "cpus")
    }
    if let mems = l.cpusetMems, !mems.isEmpty {
      try CgroupFiles.write(dir, "cpuset.mems", mems, field: prefix + "mems")
    }
  }

  // MARK: v2

  static func v2(_ l: CgroupLimits, dir: String, update: Bool) throws(CgroupError) {
    if l.cpuRealtimeRuntime.map({ $0 != 0 }) ?? false {
      throw .unsupported(
        prefix + "realtimeRuntime", "cgroup v2 has no realtime CPU bandwidth control (cpu.rt_runtime_us is v1 only)")
    }
    if l.cpuRealtimePeriod.map({ $0 != 0 }) ?? false {
      throw .unsupported(
        prefix + "realtimePeriod", "cgroup v2 has no realtime CPU bandwidth control (cpu.rt_period_us is v1 only)")
    }
    if let shares = l.cpuShares, shares != 0 {
      try CgroupFiles.write(
        dir, "cpu.weight", String(CgroupConversions.cpuWeight(shares: shares)), field: prefix + "shares")
    }
    if let idle = l.cpuIdle { try CgroupFiles.write(dir, "cpu.idle", String(idle), field: prefix + "idle") }
    let quota = l.cpuQuota.flatMap { $0 == 0 ? nil : $0 }
    let period = l.cpuPeriod.flatMap { $0 == 0 ? nil : $0 }
    if quota != nil || period != nil {
      // cpu.max holds both; a period-only update keeps the quota in force (runc keeps it
      // through its saved config; we read it back).
      var quotaText = "max"
      if let quota {
        quotaText = quota < 0 ? "max" : String(quota)
      } else if update,
        let current = CgroupFiles.value(dir, "cpu.max")?.split(separator: " ").first
      {
        quotaText = String(current)
      }
      let value = period.map { "\(quotaText) \($0)" } ?? quotaText
      try CgroupFiles.write(dir, "cpu.max", value, field: prefix + (quota != nil ? "quota" : "period"))
    }
    if let burst = l.cpuBurst { try CgroupFiles.write(dir, "cpu.max.burst", String(burst), field: prefix + "burst") }
    if let cpus = l.cpusetCpus, !cpus.isEmpty {
      try CgroupFiles.write(dir, "cpuset.cpus", cpus, field: prefix + "cpus")
    }
    if let mems = l.cpusetMems, !mems.isEmpty {
      try CgroupFiles.write(dir, "cpuset.mems", mems, field: prefix + "mems")
    }
  }

  static func firstSetField(_ l: CgroupLimits) -> String {
    if l.cpuShares != nil { return "shares" }
    if l.cpuQuota != nil { return "quota" }
    if l.cpuPeriod != nil { return "period" }
    if l.cpuBurst != nil { return "burst" }
    if l.cpuIdle != nil { return "idle" }
    return "realtimeRuntime"
  }

  // MARK: stats

  /// cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
  static let nanosPerTick: UInt64 = 10_000_000

  static func statsV1(cpuacct: String?, cpu: String?, into s: inout CgroupStats) {
    if let dir = cpuacct {
      s.cpu.total = CgroupFiles.number(dir, "cpuacct.usage") ?? 0
      s.cpu.percpu = numbers(CgroupFiles.read(dir, "cpuacct.usage_percpu"))
      s.cpu.percpuKernel = numbers(CgroupFiles.read(dir, "cpuacct.usage_percpu_sys"))
      s.cpu.percpuUser = numbers(CgroupFiles.read(dir, "cpuacct.usage_percpu_user"))
      let stat = CgroupFiles.keyValues(dir, "cpuacct.stat")
      s.cpu.user = (CgroupFiles.lookup(stat, "user") ?? 0) * nanosPerTick
      s.cpu.kernel = (CgroupFiles.lookup(stat, "system") ?? 0) * nanosPerTick
    }
    if let dir = cpu {
      let stat = CgroupFiles.keyValues(dir, "cpu.stat")
      s.cpu.periods = CgroupFiles.lookup(stat, "nr_periods") ?? 0
      s.cpu.throttledPeriods = CgroupFiles.lookup(stat, "nr_throttled") ?? 0
      s.cpu.throttledTime = CgroupFiles.lookup(stat, "throttled_time") ?? 0
    }
  }

  static func statsV2(dir: String, into s: inout CgroupStats) {
    let stat = CgroupFiles.keyValues(dir, "cpu.stat")
    s.cpu.total = (CgroupFiles.lookup(stat, "usage_usec") ?? 0) * 1000
    s.cpu.user = (CgroupFiles.lookup(stat, "user_usec") ?? 0) * 1000
    s.cpu.kernel = (CgroupFiles.lookup(stat, "system_usec") ?? 0) * 1000
    s.cpu.periods = CgroupFiles.lookup(stat, "nr_periods") ?? 0
    s.cpu.throttledPeriods = CgroupFiles.lookup(stat, "nr_throttled") ?? 0
    s.cpu.throttledTime = (CgroupFiles.lookup(stat, "throttled_usec") ?? 0) * 1000
  }

  static let cpusetFlags = [
    ("cpu_exclusive", "cpuset.cpu_exclusive"), ("mem_hardwall", "cpuset.mem_hardwall"),
    ("mem_exclusive", "cpuset.mem_exclusive"), ("memory_migrate", "cpuset.memory_migrate"),
    ("memory_spread_page", "cpuset.memory_spread_page"), ("memory_spread_slab", "cpuset.memory_spread_slab"),
    ("memory_pressure", "cpuset.memory_pressure"), ("sched_load_balance", "cpuset.sched_load_balance"),
    ("sched_relax_domain_level", "cpuset.sched_relax_domain_level"),
  ]

  /// v1: cpuset.cpus/mems and the flag files; v2: the effective lists.
  static func cpusetStats(dir: String, v2: Bool, into s: inout CgroupStats) {
    s.cpuset.cpus = expand(CgroupFiles.value(dir, v2 ? "cpuset.cpus.effective" : "cpuset.cpus"))
    s.cpuset.mems = expand(CgroupFiles.value(dir, v2 ? "cpuset.mems.effective" : "cpuset.mems"))
    guard !v2 else { return }
    for (key, file) in cpusetFlags {
      if let v = CgroupFiles.value(dir, file).flatMap({ Int64($0) }) { s.cpuset.flags.append((key, v)) }
    }
  }

  /// "0-2,5" → [0, 1, 2, 5].
  static func expand(_ list: String?) -> [UInt64] {
    var out: [UInt64] = []
    for part in (list ?? "").split(separator: ",") {
      let ends = part.split(separator: "-").compactMap { UInt64($0) }
      if ends.count == 1 {
        out.append(ends[0])
      } else if ends.count == 2, ends[0] <= ends[1], ends[1] - ends[0] < 65536 {
        out += Array(ends[0]...ends[1])
      }
    }
    return out
  }

  static func numbers(_ text: String?) -> [UInt64] {
    (text ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt64($0) }
  }
}

extension CgroupSet {
  /// v1: a cgroup's rt runtime comes out of its parent's, and a level made by the runtime
  /// starts with none, so the container's realtimeRuntime could never be granted below it.
  /// Give each level this container created (parents first, the leaf excluded) that runtime.
  public func grantRealtimeBudget(_ runtime: Int64?, toCreated created: [String]) throws(CgroupError) {
    guard let runtime, runtime > 0, let leaf = directory(controller: "cpu") else { return }
    for dir in created where leaf.hasPrefix(dir + "/") && CgroupFiles.exists(dir, "cpu.rt_runtime_us") {
      let current = CgroupFiles.value(dir, "cpu.rt_runtime_us").flatMap { Int64($0) } ?? 0
      if current >= 0 && current < runtime {
        try CgroupFiles.write(
          dir, "cpu.rt_runtime_us", String(runtime), field: CPUController.prefix + "realtimeRuntime")
      }
    }
  }
}
