/// The cgroup settings of one container, already converted from linux.resources by the
/// runtime's planner (Cgroups does not depend on OCISpec). nil or empty means "not set":
/// nothing is written, which is what `update` relies on to leave other limits alone.
/// Values keep the spec's (cgroup v1) units; the v2 driver converts.
public struct CgroupLimits: Sendable, Equatable {
  public struct DeviceRule: Sendable, Equatable {
    public var allow: Bool
    public var type: Character  // a, c, b
    public var major: Int64?  // nil = "*"
    public var minor: Int64?
    public var access: String
    public init(allow: Bool, type: Character, major: Int64?, minor: Int64?, access: String) {
      self.allow = allow
      self.type = type
      self.major = major
      self.minor = minor
      self.access = access
    }
    /// The v1 devices.allow / devices.deny line, e.g. "c 1:3 rwm".
    public var v1Line: String {
      if type == "a" { return "a" }
      return "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }
  }

  /// A value for one block device (weights, throttle rates).
  public struct BlockDeviceValue: Sendable, Equatable {
    public var major: Int64
    public var minor: Int64
    public var value: UInt64
    public init(major: Int64, minor: Int64, value: UInt64) {
      self.major = major
      self.minor = minor
      self.value = value
    }
    var line: String { "\(major):\(minor) \(value)" }
  }

  public struct Hugepage: Sendable, Equatable {
    public var pageSize: String  // "2MB"
    public var limit: UInt64
    public init(pageSize: String, limit: UInt64) {
      self.pageSize = pageSize
      self.limit = limit
    }
  }

  public struct Rdma: Sendable, Equatable {
    public var device: String
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?
    public init(device: String, hcaHandles: UInt32?, hcaObjects: UInt32?) {
      self.device = device
      self.hcaHandles = hcaHandles
      self.hcaObjects = hcaObjects
    }
    /// rdma.max line (v1 and v2 share the format); unset keys are left out.
    var line: String {
      var s = device
      if let hcaHandles { s += " hca_handle=\(hcaHandles)" }
      if let hcaObjects { s += " hca_object=\(hcaObjects)" }
      return s
    }
  }

  public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
      self.key = key
      self.value = value
    }
  }

  // devices (in order; v1 lines, v2 a BPF program)
  public var devices: [DeviceRule] = []
  // memory (bytes; -1 = unlimited)
  public var memoryLimit: Int64?
  public var memoryReservation: Int64?
  /// v1 semantics: memory + swap. The v2 driver writes memory.swap.max = swap - limit.
  public var memorySwap: Int64?
  public var memorySwappiness: UInt64?
  public var disableOOMKiller: Bool?
  public var memoryUseHierarchy: Bool?
  public var memoryCheckBeforeUpdate: Bool?
  /// v1 memory.kmem.tcp.limit_in_bytes (crun applies it; the planner drops it with a
  /// warning where the file does not exist).
  public var memoryKernelTCP: Int64?
  // pids (0 or less = unlimited)
  public var pidsLimit: Int64?
  // cpu (microseconds)
  public var cpuShares: UInt64?
  public var cpuQuota: Int64?
  public var cpuPeriod: UInt64?
  public var cpuBurst: UInt64?
  public var cpuRealtimeRuntime: Int64?
  public var cpuRealtimePeriod: UInt64?
  public var cpuIdle: Int64?
  public var cpusetCpus: String?
  public var cpusetMems: String?
  // blkio (v1 weights 10-1000)
  public var blkioWeight: UInt16?
  public var blkioLeafWeight: UInt16?
  public var blkioWeightDevices: [BlockDeviceValue] = []
  public var blkioLeafWeightDevices: [BlockDeviceValue] = []
  public var blkioThrottleReadBps: [BlockDeviceValue] = []
  public var blkioThrottleWriteBps: [BlockDeviceValue] = []
  public var blkioThrottleReadIOPS: [BlockDeviceValue] = []
  public var blkioThrottleWriteIOPS: [BlockDeviceValue] = []
  // hugetlb, network, rdma
  public var hugepageLimits: [Hugepage] = []
  public var networkClassID: UInt32?
  /// net_prio.ifpriomap entries: interface name → priority.
  public var networkPriorities: [KeyValue] = []
  public var rdma: [Rdma] = []
  /// cgroup v2 file → value, written last so it can override the converted values.
  public var unified: [KeyValue] = []

  public init() {}

  var hasCPU: Bool {
    cpuShares != nil || cpuQuota != nil || cpuPeriod != nil || cpuBurst != nil || cpuRealtimeRuntime != nil
      || cpuRealtimePeriod != nil || cpuIdle != nil
  }
  var hasCpuset: Bool { cpusetCpus != nil || cpusetMems != nil }
  var hasMemory: Bool {
    memoryLimit != nil || memoryReservation != nil || memorySwap != nil || memorySwappiness != nil
      || disableOOMKiller != nil || memoryUseHierarchy != nil || memoryKernelTCP != nil
  }
  var hasBlockIO: Bool {
    blkioWeight != nil || blkioLeafWeight != nil || !blkioWeightDevices.isEmpty || !blkioLeafWeightDevices.isEmpty
      || !blkioThrottleReadBps.isEmpty || !blkioThrottleWriteBps.isEmpty || !blkioThrottleReadIOPS.isEmpty
      || !blkioThrottleWriteIOPS.isEmpty
  }
}

/// The conversions runc and crun use between v1 and v2 values.
public enum CgroupConversions {
  /// cpu.shares (2-262144) → cpu.weight (1-10000): 1 + ((shares - 2) * 9999) / 262142.
  public static func cpuWeight(shares: UInt64) -> UInt64 {
    let s = min(max(shares, 2), 262144)
    return 1 + ((s - 2) * 9999) / 262142
  }

  /// blkio.weight (10-1000) → io.weight (1-10000): 1 + (weight - 10) * 9999 / 990.
  public static func ioWeight(blkio weight: UInt64) -> UInt64 {
    let w = min(max(weight, 10), 1000)
    return 1 + (w - 10) * 9999 / 990
  }

  /// v1 memory.memsw (memory + swap) → v2 memory.swap.max (swap alone); nil = "max".
  /// `limit` is the memory limit in force (the new one, or the current one on update).
  public static func swapMax(swap: Int64, limit: Int64?) throws(CgroupError) -> Int64? {
    if swap < 0 { return nil }
    guard let limit, limit > 0 else {
      throw CgroupError.invalid(
        "linux.resources.memory.swap", "a swap limit needs a memory limit (v2 memory.swap.max is swap minus memory)")
    }
    guard swap >= limit else {
      throw CgroupError.invalid(
        "linux.resources.memory.swap", "memory+swap (\(swap)) must not be below the memory limit (\(limit))")
    }
    return swap - limit
  }
}
