/// Usage figures for `hull events`, shaped like runc's types.Stats (the JSON rendering
/// lives in the CLI, which owns the JSON writer). Times are nanoseconds, sizes bytes.
public struct CgroupStats: Sendable, Equatable {
  public struct CPU: Sendable, Equatable {
    public var total: UInt64 = 0
    public var percpu: [UInt64] = []
    public var percpuKernel: [UInt64] = []
    public var percpuUser: [UInt64] = []
    public var kernel: UInt64 = 0
    public var user: UInt64 = 0
    public var periods: UInt64 = 0
    public var throttledPeriods: UInt64 = 0
    public var throttledTime: UInt64 = 0
  }

  public struct MemoryEntry: Sendable, Equatable {
    public var limit: UInt64 = 0
    public var usage: UInt64 = 0
    public var max: UInt64 = 0
    public var failcnt: UInt64 = 0
  }

  public struct Memory: Sendable, Equatable {
    public var cache: UInt64 = 0
    public var usage = MemoryEntry()
    public var swap = MemoryEntry()
    public var kernel = MemoryEntry()
    public var kernelTCP = MemoryEntry()
    /// memory.stat, in file order.
    public var raw: [Pair] = []
  }

  public struct Pair: Sendable, Equatable {
    public var key: String
    public var value: UInt64
  }

  public struct Pids: Sendable, Equatable {
    public var current: UInt64 = 0
    /// 0 = no limit ("max").
    public var limit: UInt64 = 0
  }

  public struct BlkioEntry: Sendable, Equatable {
    public var major: UInt64
    public var minor: UInt64
    public var op: String
    public var value: UInt64
  }

  public struct Blkio: Sendable, Equatable {
    public var ioServiceBytesRecursive: [BlkioEntry] = []
    public var ioServicedRecursive: [BlkioEntry] = []
  }

  public struct Hugetlb: Sendable, Equatable {
    public var pageSize: String
    public var usage: UInt64 = 0
    public var max: UInt64 = 0
    public var failcnt: UInt64 = 0
  }

  /// runc's cpuset stats: the lists expanded, the v1 flags as numbers.
  public struct CPUSet: Sendable, Equatable {
    public var cpus: [UInt64] = []
    public var mems: [UInt64] = []
    /// v1 cpuset.* flag files in runc's order and JSON names (absent on v2).
    public var flags: [(key: String, value: Int64)] = []
    public static func == (a: CPUSet, b: CPUSet) -> Bool {
      a.cpus == b.cpus && a.mems == b.mems && a.flags.map(\.key) == b.flags.map(\.key)
        && a.flags.map(\.value) == b.flags.map(\.value)
    }
  }

  public var cpu = CPU()
  public var cpuset = CPUSet()
  public var memory = Memory()
  public var pids = Pids()
  public var blkio = Blkio()
  public var hugetlb: [Hugetlb] = []

  public init() {}
}
