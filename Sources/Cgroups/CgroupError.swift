import LinuxKit

/// A cgroup operation that failed: the operation (naming the linux.resources field when
/// one is involved), the file or directory, errno, and an optional explanation.
public struct CgroupError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let path: String
  public let errno: Int32
  public let detail: String?
  /// The D-Bus error name when a call to systemd failed ("org.freedesktop.systemd1.NoSuchUnit").
  public var busError: String?

  public init(_ operation: String, _ path: String, errno: Int32, detail: String? = nil) {
    self.operation = operation
    self.path = path
    self.errno = errno
    self.detail = detail
  }

  public var description: String {
    let reason = detail ?? SystemError.describe(errno)
    return path.isEmpty ? "\(operation): \(reason)" : "\(operation) \(path): \(reason)"
  }

  /// A field whose controller has no hierarchy on this host (e.g. net_cls on this machine).
  static func missingController(_ field: String, _ controller: String) -> CgroupError {
    CgroupError(
      "set \(field)", "", errno: ENOTSUP_,
      detail: "the \(controller) controller is not mounted on this host (no cgroup v1 \(controller) hierarchy)")
  }

  /// A field the cgroup version cannot express at all.
  static func unsupported(_ field: String, _ why: String) -> CgroupError {
    CgroupError("set \(field)", "", errno: ENOTSUP_, detail: why)
  }

  static func invalid(_ field: String, _ why: String) -> CgroupError {
    CgroupError("set \(field)", "", errno: EINVAL_, detail: why)
  }
}

// Glibc's macros as constants, so files without `import Glibc` can name them.
let ENOTSUP_: Int32 = 95
let ENOENT_: Int32 = 2
let EINVAL_: Int32 = 22
let EBUSY_: Int32 = 16
