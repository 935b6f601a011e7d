// config-linux.md "resources": cgroup settings. Also the document of
// `hull update --resources FILE`. Every number is optional: absent means "leave as
// is", which differs from 0 (docker's update sends zeros it means as unset, and the
// cgroup driver must be able to tell).

public struct Resources: Sendable {
  public var devices: [DeviceRule]
  public var memory: Memory?
  public var cpu: CPU?
  public var pids: Pids?
  public var blockIO: BlockIO?
  public var hugepageLimits: [HugepageLimit]
  public var network: Network?
  /// RDMA device name → limits, in document order.
  public var rdma: [(key: String, value: Rdma)]
  /// cgroup v2 file name → value, in document order.
  public var unified: [(key: String, value: String)]

  public init(
    devices: [DeviceRule] = [], memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil,
    blockIO: BlockIO? = nil, hugepageLimits: [HugepageLimit] = [], network: Network? = nil,
    rdma: [(key: String, value: Rdma)] = [], unified: [(key: String, value: String)] = []
  ) {
    self.devices = devices
    self.memory = memory
    self.cpu = cpu
    self.pids = pids
    self.blockIO = blockIO
    self.hugepageLimits = hugepageLimits
    self.network = network
    self.rdma = rdma
    self.unified = unified
  }

  /// Parses, maps and validates a resources document (`update --resources`);
  /// error paths are relative to it ("memory.limit").
  public static func parse(_ bytes: [UInt8]) throws(SpecError) -> Resources {
    let value: JSONValue
    do throws(JSONError) { value = try JSON.parse(bytes) } catch { throw SpecError.json(error) }
    let r = try Resources(json: value, path: "")
    try r.validate(path: "")
    return r
  }

  public init(json: JSONValue, path: String = "linux.resources") throws(SpecError) {
    try self.init(Fields(json, path: path))
  }

  init(_ f: Fields) throws(SpecError) {
    devices = try f.objects("devices") { (d) throws(SpecError) in
      DeviceRule(
        allow: try d.bool("allow") ?? false, type: try d.string("type"), major: try d.integer("major"),
        minor: try d.integer("minor"), access: try d.string("access"))
    }
    if let m = try f.object("memory") {
      memory = Memory(
        limit: try m.integer("limit"), reservation: try m.integer("reservation"), swap: try m.integer("swap"),
        kernel: try m.integer("kernel"), kernelTCP: try m.integer("kernelTCP"), swappiness: try m.integer("swappiness"),
        disableOOMKiller: try m.bool("disableOOMKiller"), useHierarchy: try m.bool("useHierarchy"),
        checkBeforeUpdate: try m.bool("checkBeforeUpdate"))
    }
    if let c = try f.object("cpu") {
      cpu = CPU(
        shares: try c.integer("shares"), quota: try c.integer("quota"), burst: try c.integer("burst"),
        period: try c.integer("period"), realtimeRuntime: try c.integer("realtimeRuntime"),
        realtimePeriod: try c.integer("realtimePeriod"), cpus: try c.string("cpus"), mems: try c.string("mems"),
        idle: try c.integer("idle"))
    }
    if let p = try f.object("pids") { pids = Pids(limit: try p.integer("limit")) }
    if let b = try f.object("blockIO") {
      func throttle(_ key: String) throws(SpecError) -> [ThrottleDevice] {
        try b.objects(key) { (t) throws(SpecError) in
          ThrottleDevice(
            major: try t.requiredInteger("major"), minor: try t.requiredInteger("minor"),
            rate: try t.requiredInteger("rate"))
        }
      }
      blockIO = BlockIO(
        weight: try b.integer("weight"), leafWeight: try b.integer("leafWeight"),
        weightDevice: try b.objects("weightDevice") { (w) throws(SpecError) in
          WeightDevice(
            major: try w.requiredInteger("major"), minor: try w.requiredInteger("minor"),
            weight: try w.integer("weight"), leafWeight: try w.integer("leafWeight"))
        },
        throttleReadBpsDevice: try throttle("throttleReadBpsDevice"),
        throttleWriteBpsDevice: try throttle("throttleWriteBpsDevice"),
        throttleReadIOPSDevice: try throttle("throttleReadIOPSDevice"),
        throttleWriteIOPSDevice: try throttle("throttleWriteIOPSDevice"))
    }
    hugepageLimits = try f.objects("hugepageLimits") { (h) throws(SpecError) in
      HugepageLimit(pageSize: try h.requiredString("pageSize"), limit: try h.requiredInteger("limit"))
    }
    if let n = try f.object("network") {
      network = Network(
        classID: try n.integer("classID"),
        priorities: try n.objects("priorities") { (p) throws(SpecError) in
          InterfacePriority(name: try p.requiredString("name"), priority: try p.requiredInteger("priority"))
        })
    }
    rdma = try f.objectMap("rdma") { (r) throws(SpecError) in
      Rdma(hcaHandles: try r.integer("hcaHandles"), hcaObjects: try r.integer("hcaObjects"))
    }
    unified = try f.stringMap("unified")
  }
}

/// A device cgroup rule; nil type/major/minor mean "all" ('a', '*').
public struct DeviceRule: Sendable, Equatable {
  public var allow: Bool
  public var type: String?
  public var major: Int64?
  public var minor: Int64?
  /// Some of "rwm".
  public var access: String?
  public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
    self.allow = allow
    self.type = type
    self.major = major
    self.minor = minor
    self.access = access
  }
}

/// Bytes; -1 means unlimited, so the limits are signed.
public struct Memory: Sendable, Equatable {
  public var limit: Int64?
  public var reservation: Int64?
  public var swap: Int64?
  /// Deprecated (cgroup v1 only, gone from kernels since 5.4).
  public var kernel: Int64?
  public var kernelTCP: Int64?
  public var swappiness: UInt64?
  public var disableOOMKiller: Bool?
  public var useHierarchy: Bool?
  public var checkBeforeUpdate: Bool?

  public init(
    limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
    kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
    useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil
  ) {
    self.limit = limit
    self.reservation = reservation
    self.swap = swap
    self.kernel = kernel
    self.kernelTCP = kernelTCP
    self.swappiness = swappiness
    self.disableOOMKiller = disableOOMKiller
    self.useHierarchy = useHierarchy
    self.checkBeforeUpdate = checkBeforeUpdate
  }
}

/// Times in microseconds.
public struct CPU: Sendable, Equatable {
  public var shares: UInt64?
  /// -1 means no quota.
  public var quota: Int64?
  public var burst: UInt64?
  public var period: UInt64?
  public var realtimeRuntime: Int64?
  public var realtimePeriod: UInt64?
  /// cpuset lists such as "0-3,7".
  public var cpus: String?
  public var mems: String?
  /// 1 puts the cgroup in SCHED_IDLE (cgroup v2 cpu.idle).
  public var idle: Int64?

  public init(
    shares: UInt64? = nil, quota: Int64? = nil, burst: UInt64? = nil, period: UInt64? = nil,
    realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
    mems: String? = nil, idle: Int64? = nil
  ) {
    self.shares = shares
    self.quota = quota
    self.burst = burst
    self.period = period
    self.realtimeRuntime = realtimeRuntime
    self.realtimePeriod = realtimePeriod
    self.cpus = cpus
    self.mems = mems
    self.idle = idle
  }
}

public struct Pids: Sendable, Equatable {
  /// 0 or less means no limit (pids.max "max").
  public var limit: Int64?
  public init(limit: Int64? = nil) { self.limit = limit }
}

public struct BlockIO: Sendable, Equatable {
  public var weight: UInt16?
  public var leafWeight: UInt16?
  public var weightDevice: [WeightDevice]
  public var throttleReadBpsDevice: [ThrottleDevice]
  public var throttleWriteBpsDevice: [ThrottleDevice]
  public var throttleReadIOPSDevice: [ThrottleDevice]
  public var throttleWriteIOPSDevice: [ThrottleDevice]

  public init(
    weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [WeightDevice] = [],
    throttleReadBpsDevice: [ThrottleDevice] = [], throttleWriteBpsDevice: [ThrottleDevice] = [],
    throttleReadIOPSDevice: [ThrottleDevice] = [], throttleWriteIOPSDevice: [ThrottleDevice] = []
  ) {
    self.weight = weight
    self.leafWeight = leafWeight
    self.weightDevice = weightDevice
    self.throttleReadBpsDevice = throttleReadBpsDevice
    self.throttleWriteBpsDevice = throttleWriteBpsDevice
    self.throttleReadIOPSDevice = throttleReadIOPSDevice
    self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
  }
}

public struct WeightDevice: Sendable, Equatable {
  public var major: Int64
  public var minor: Int64
  public var weight: UInt16?
  public var leafWeight: UInt16?
  public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
    self.major = major
    self.minor = minor
    self.weight = weight
    self.leafWeight = leafWeight
  }
}

/// Bytes or operations per second for one block device.
public struct ThrottleDevice: Sendable, Equatable {
  public var major: Int64
  public var minor: Int64
  public var rate: UInt64
  public init(major: Int64, minor: Int64, rate: UInt64) {
    self.major = major
    self.minor = minor
    self.rate = rate
  }
}

public struct HugepageLimit: Sendable, Equatable {
  /// "2MB", "1GB", ...
  public var pageSize: String
  public var limit: UInt64
  public init(pageSize: String, limit: UInt64) {
    self.pageSize = pageSize
    self.limit = limit
  }
}

public struct Network: Sendable, Equatable {
  public var classID: UInt32?
  public var priorities: [InterfacePriority]
  public init(classID: UInt32? = nil, priorities: [InterfacePriority] = []) {
    self.classID = classID
    self.priorities = priorities
  }
}

public struct InterfacePriority: Sendable, Equatable {
  public var name: String
  public var priority: UInt32
  public init(name: String, priority: UInt32) {
    self.name = name
    self.priority = priority
  }
}

public struct Rdma: Sendable, Equatable {
  public var hcaHandles: UInt32?
  public var hcaObjects: UInt32?
  public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
    self.hcaHandles = hcaHandles
    self.hcaObjects = hcaObjects
  }
}
