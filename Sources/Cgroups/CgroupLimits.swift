/// The cgroup settings of one container, already converted from linux.resources by
/// the runtime's planner. nil means "not set": nothing is written.
public struct CgroupLimits: Sendable, Equatable {
  public struct DeviceRule: Sendable, Equatable {
    public var allow: Bool
    public var type: Character  // a, c, b
    public var major: Int64?    // nil = "*"
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

  public var devices: [DeviceRule] = []
  public var memoryLimit: Int64?
  public var memoryReservation: Int64?
  public var memorySwap: Int64?
  public var memorySwappiness: UInt64?
  public var disableOOMKiller: Bool?
  public var pidsLimit: Int64?
  public var cpuShares: UInt64?
  public var cpuQuota: Int64?
  public var cpuPeriod: UInt64?
  public var cpusetCpus: String?
  public var cpusetMems: String?

  public init() {}
}

/// A cgroup operation that failed: the operation, the file, and errno.
public struct CgroupError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let path: String
  public let errno: Int32
  public let detail: String?

  public init(_ operation: String, _ path: String, errno: Int32, detail: String? = nil) {
    self.operation = operation
    self.path = path
    self.errno = errno
    self.detail = detail
  }

  public var description: String {
    let reason = detail ?? SystemErrorText.describe(errno)
    return "\(operation) \(path): \(reason)"
  }
}

import LinuxKit
enum SystemErrorText {
  static func describe(_ errno: Int32) -> String { SystemError.describe(errno) }
}
