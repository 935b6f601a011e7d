import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// Every runtime failure: `<operation> <path>: <reason>`. The CLI prints it as
/// `hull: <description>` and writes it to the JSON log when asked.
public struct RuntimeError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let path: String
  public let reason: String
  public let errno: Int32

  public init(_ operation: String, _ path: String = "", reason: String, errno: Int32 = 0) {
    self.operation = operation
    self.path = path
    self.reason = reason
    self.errno = errno
  }

  public init(_ error: SystemError, context: String? = nil) {
    self.init(
      context.map { "\($0): \(error.operation)" } ?? error.operation, error.path,
      reason: error.reason, errno: error.errno)
  }

  public init(_ error: CgroupError) {
    self.init(
      error.operation, error.path, reason: error.detail ?? SystemError.describe(error.errno),
      errno: error.errno)
  }

  public init(_ error: SpecError, file: String) {
    self.init("load", file, reason: error.description, errno: EINVAL)
  }

  public var description: String {
    var text = operation
    if !path.isEmpty { text += " " + path }
    return reason.isEmpty ? text : text + ": " + reason
  }

  static func notFound(_ id: String) -> RuntimeError {
    RuntimeError("container \(id)", reason: "container does not exist", errno: ENOENT)
  }

  static func exists(_ id: String) -> RuntimeError {
    RuntimeError("create container \(id)", reason: "container with id \"\(id)\" already exists", errno: EEXIST)
  }
}
