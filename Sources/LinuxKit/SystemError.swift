import Glibc

/// A failed system call: which operation, on which path, with which errno.
/// Its text is the runtime's error shape: `<operation> <path>: <reason>`, with the
/// reason in lowercase (docker maps "no such file or directory" to exit 127).
public struct SystemError: Error, Sendable, CustomStringConvertible {
  public let operation: String
  public let path: String
  public let errno: Int32

  public init(_ operation: String, _ path: String = "", errno: Int32 = Glibc.errno) {
    self.operation = operation
    self.path = path
    self.errno = errno
  }

  public var reason: String { SystemError.describe(errno) }

  public var description: String {
    path.isEmpty ? "\(operation): \(reason)" : "\(operation) \(path): \(reason)"
  }

  /// strerror's text with a lowercase first letter ("no such file or directory").
  public static func describe(_ errno: Int32) -> String {
    guard let cText = strerror(errno) else { return "errno \(errno)" }
    var text = String(cString: cText)
    if let first = text.first, first.isUppercase, !text.hasPrefix("I/O") {
      text = first.lowercased() + text.dropFirst()
    }
    return text
  }
}

/// Runs a raw call, retrying on EINTR; throws a SystemError naming the operation and path on failure.
@inlinable
public func check<T: BinaryInteger>(_ operation: String, _ path: String = "", _ call: () -> T) throws(SystemError) -> T
{
  while true {
    let result = call()
    if result >= 0 { return result }
    if errno == EINTR { continue }
    throw SystemError(operation, path)
  }
}
