import Glibc
import LinuxKit
import OCISpec

/// personality, scheduler, I/O priority and CPU affinity of the container process,
/// planned from the spec (names → numbers) and applied in the child.
public struct ProcessAttributes: Sendable {
  public var personality: UInt?
  public var scheduler:
    (policy: UInt32, nice: Int32, priority: UInt32, flags: UInt64, runtime: UInt64, deadline: UInt64, period: UInt64)?
  public var ioPriority: (ioClass: Int32, level: Int32)?
  public var initialAffinity: [Int32]?
  public var finalAffinity: [Int32]?
  /// process.apparmorProfile on a host where AppArmor is enabled (elsewhere the planner refuses it).
  public var apparmorProfile: String?
  /// linux.memoryPolicy: set_mempolicy's mode (with its MPOL_F_* flags) and node bitmask.
  public var memoryPolicy: (mode: Int32, nodemask: [UInt])?

  public init() {}

  static let policies = [
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
  ]
  static let schedulerFlags = [
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
  ]
  static let ioClasses = ["", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]  // index = class number

  public static func plan<H: HostFacts>(process: Process, personality: Personality?, host: H) throws(RuntimeError)
    -> ProcessAttributes
  {
    var attributes = ProcessAttributes()
    if let profile = process.apparmorProfile, !profile.isEmpty, host.apparmorEnabled {
      attributes.apparmorProfile = profile
    }
    if let personality {
      // PER_LINUX = 0, PER_LINUX32 = 8; flags are not defined by the spec yet.
      attributes.personality = personality.domain == "LINUX32" ? 8 : 0
    }
    if let s = process.scheduler {
      guard let policy = policies.firstIndex(of: s.policy) else {
        throw RuntimeError(
          "plan", "config.json", reason: "process.scheduler.policy: unknown policy \"\(s.policy)\"", errno: EINVAL)
      }
      var flags: UInt64 = 0
      for flag in s.flags {
        guard let bit = schedulerFlags.firstIndex(of: flag) else {
          throw RuntimeError(
            "plan", "config.json", reason: "process.scheduler.flags: unknown flag \"\(flag)\"", errno: EINVAL)
        }
        flags |= 1 << UInt64(bit)
      }
      attributes.scheduler = (
        UInt32(policy), s.nice ?? 0, UInt32(max(0, s.priority ?? 0)), flags,
        s.runtime ?? 0, s.deadline ?? 0, s.period ?? 0
      )
    }
    if let io = process.ioPriority {
      guard let ioClass = ioClasses.firstIndex(of: io.class).map(Int32.init), ioClass > 0 else {
        throw RuntimeError(
          "plan", "config.json", reason: "process.ioPriority.class: unknown class \"\(io.class)\"", errno: EINVAL)
      }
      attributes.ioPriority = (ioClass, io.priority)
    }
    if let affinity = process.execCPUAffinity {
      attributes.initialAffinity = try affinity.initial.map { text throws(RuntimeError) in
        try cpuList(text, field: "initial")
      }
      attributes.finalAffinity = try affinity.final.map { text throws(RuntimeError) in try cpuList(text, field: "final")
      }
    }
    return attributes
  }

  /// MPOL_* numbers of linux/mempolicy.h, by the spec's names.
  /// (Arrays, not dictionaries: see Mounts.flag on the start path's cost of a first Dictionary.)
  static let memoryPolicyModes: [(name: String, mode: Int32)] = [
    ("MPOL_DEFAULT", 0), ("MPOL_PREFERRED", 1), ("MPOL_BIND", 2), ("MPOL_INTERLEAVE", 3), ("MPOL_LOCAL", 4),
    ("MPOL_PREFERRED_MANY", 5), ("MPOL_WEIGHTED_INTERLEAVE", 6),
  ]
  static let memoryPolicyFlags: [(name: String, bit: Int32)] = [
    ("MPOL_F_NUMA_BALANCING", 1 << 13), ("MPOL_F_RELATIVE_NODES", 1 << 14), ("MPOL_F_STATIC_NODES", 1 << 15),
  ]

  static func planMemoryPolicy(_ policy: MemoryPolicy?) throws(RuntimeError) -> (mode: Int32, nodemask: [UInt])? {
    guard let policy else { return nil }
    guard var mode = memoryPolicyModes.first(where: { $0.name == policy.mode })?.mode else {
      throw RuntimeError(
        "plan", "config.json", reason: "linux.memoryPolicy.mode: unknown mode \"\(policy.mode)\"", errno: EINVAL)
    }
    for flag in policy.flags {
      guard let bit = memoryPolicyFlags.first(where: { $0.name == flag })?.bit else {
        throw RuntimeError(
          "plan", "config.json", reason: "linux.memoryPolicy.flags: unknown flag \"\(flag)\"", errno: EINVAL)
      }
      mode |= bit
    }
    var mask: [UInt] = []
    if let nodes = policy.nodes, !nodes.isEmpty {
      for node in try cpuList(nodes, field: "nodes", what: "linux.memoryPolicy.nodes: invalid node list") {
        let word = Int(node) / UInt.bitWidth
        while mask.count <= word { mask.append(0) }
        mask[word] |= 1 << UInt(Int(node) % UInt.bitWidth)
      }
    }
    return (mode, mask)
  }

  /// "0-3,7" → [0, 1, 2, 3, 7]
  static func cpuList(_ text: String, field: String, what: String? = nil) throws(RuntimeError) -> [Int32] {
    var cpus: [Int32] = []
    for part in text.split(separator: ",") {
      let bounds = part.split(separator: "-", maxSplits: 1).map { Int32(String($0.filter { $0 != " " })) }
      guard let low = bounds.first ?? nil, let high = bounds.count == 2 ? bounds[1] : low, low >= 0, low <= high else {
        throw RuntimeError(
          "plan", "config.json", reason: "\(what ?? "process.execCPUAffinity.\(field): invalid CPU list") \"\(text)\"",
          errno: EINVAL)
      }
      cpus += Array(low...high)
    }
    return cpus
  }

  /// Before the user and capability switch: personality, scheduler, I/O priority, and
  /// the initial affinity (the runtime's own steps run there).
  func applyEarly<K: Syscalls>(_ kernel: K) throws {
    if let persona = personality {
      if kernel.personality(persona) < 0 { throw SystemError("personality", String(persona)) }
    }
    if let s = scheduler {
      _ = try check("sched_setattr", ProcessAttributes.policies[Int(s.policy)]) {
        kernel.schedSetattr(
          policy: s.policy, nice: s.nice, priority: s.priority, flags: s.flags, runtime: s.runtime,
          deadline: s.deadline, period: s.period)
      }
    }
    if let io = ioPriority {
      _ = try check("ioprio_set", "class \(io.ioClass) level \(io.level)") {
        kernel.ioprioSet(class: io.ioClass, level: io.level)
      }
    }
    if let cpus = initialAffinity { try Self.setAffinity(cpus, label: "initial", kernel) }
    if let profile = apparmorProfile {
      // As runc: an "exec" transition, so the profile confines the user's program from its execve on and a
      // profile that is not loaded fails here, before start, instead of running the container unconfined.
      let path =
        kernel.exists("/proc/self/attr/apparmor/exec") ? "/proc/self/attr/apparmor/exec" : "/proc/self/attr/exec"
      if kernel.writeFile(path, "exec " + profile) != 0 {
        throw SystemError("apply process.apparmorProfile \"\(profile)\" through", path)
      }
    }
    if let policy = memoryPolicy {
      _ = try check("set_mempolicy", "linux.memoryPolicy") {
        kernel.setMempolicy(policy.mode, nodemask: policy.nodemask)
      }
    }
  }

  /// Right before execve: the affinity the user's process keeps.
  func applyFinal<K: Syscalls>(_ kernel: K) throws {
    if let cpus = finalAffinity { try Self.setAffinity(cpus, label: "final", kernel) }
  }

  static func setAffinity<K: Syscalls>(_ cpus: [Int32], label: String, _ kernel: K) throws {
    _ = try check("sched_setaffinity", "execCPUAffinity.\(label)") { kernel.setAffinity(cpus) }
  }
}
