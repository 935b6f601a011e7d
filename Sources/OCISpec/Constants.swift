// Names and numbers the spec refers to, fixed for Linux x86_64, and the version range
// hull claims.

public let supportedOCIVersionMin = "1.0.0"
public let supportedOCIVersionMax = "1.3.0"

/// Capability names in kernel order: the index is the capability number.
public let knownCapabilities: [String] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
  "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]

/// RLIMIT_* names in resource-number order (asm-generic, which x86_64 uses).
let rlimitNames = [
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
  "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
]

/// RLIMIT_* name → resource number on Linux x86_64.
public let knownRlimits: [String: Int32] = {
  var d: [String: Int32] = [:]
  for (i, name) in rlimitNames.enumerated() { d[name] = Int32(i) }
  return d
}()

/// The resource number of an RLIMIT_* name. A scan of 16 names: cheaper on the
/// one-shot start path than building the dictionary (first use of a hashed
/// collection costs runtime metadata and conformance lookups).
public func rlimitResource(_ name: String) -> Int32? {
  rlimitNames.firstIndex(of: name).map { Int32($0) }
}

let schedulerPolicies = [
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
]
let schedulerFlags = [
  "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
  "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX",
]
let ioPriorityClasses = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]
let rootfsPropagations = [
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
]
let personalityDomains = ["LINUX", "LINUX32"]
public let memoryPolicyModes = [
  "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
  "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
]
public let memoryPolicyFlags = ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"]

/// "CAP_" followed by upper-case letters, digits and underscores.
func isCapabilitySyntax(_ name: String) -> Bool {
  let u = name.utf8
  guard u.count > 4, name.hasPrefix("CAP_") else { return false }
  for b in u.dropFirst(4) {
    switch b {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): continue
    default: return false
    }
  }
  return true
}

/// Whether hull accepts a config of this ociVersion: 1.0.0 <= MAJOR.MINOR.PATCH < 1.4.0.
/// A pre-release or build suffix ("1.0.2-dev", "1.1.0-rc.1") is ignored: engines write
/// the version of the spec library they were built with, often a development one.
public func isSupportedOCIVersion(_ version: String) -> Bool {
  guard let (major, minor, _) = parseVersionCore(version) else { return false }
  return major == 1 && minor <= 3
}

/// MAJOR.MINOR.PATCH of a semantic version, digits only, no leading zeros.
func parseVersionCore(_ version: String) -> (Int, Int, Int)? {
  var numbers = (0, 0, 0)
  var part = 0
  var digits = 0
  var leadingZero = false
  var sawSuffix = false
  var suffixLength = 0
  for b in version.utf8 {
    if sawSuffix {
      suffixLength += 1
      continue
    }
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      if leadingZero || digits >= 9 { return nil }
      if digits == 0 && b == UInt8(ascii: "0") { leadingZero = true }
      let d = Int(b - UInt8(ascii: "0"))
      switch part {
      case 0: numbers.0 = numbers.0 * 10 + d
      case 1: numbers.1 = numbers.1 * 10 + d
      default: numbers.2 = numbers.2 * 10 + d
      }
      digits += 1
    case UInt8(ascii: "."):
      guard digits > 0, part < 2 else { return nil }
      part += 1
      digits = 0
      leadingZero = false
    case UInt8(ascii: "-"), UInt8(ascii: "+"):
      sawSuffix = true
    default:
      return nil
    }
  }
  // A suffix ("-dev", "+build") must not be empty; the core must have three parts.
  guard part == 2, digits > 0, !sawSuffix || suffixLength > 0 else { return nil }
  return numbers
}
