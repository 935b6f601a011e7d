// DrydockKitError: the one error type of DrydockKit.
//
// Public API:
//   struct DrydockKitError: Error, CustomStringConvertible, Sendable
//     operation: String   what was being done ("posix_spawn", "rmdir", "write config.json", ...)
//     path: String?        the file, directory or binary involved, when there is one
//     errno: Int32?        the C errno, when the failure came from a syscall
//     message: String      a human sentence (includes strerror when errno is set)
//     init(operation:path:errno:message:)
//     static func posix(_ operation:, path:, errno:) -> DrydockKitError  (message = strerror)
#if canImport(Glibc)
import Glibc
#endif

public struct DrydockKitError: HarnessError {
  public var operation: String
  public var path: String?
  public var errno: Int32?
  public var message: String

  public init(operation: String, path: String? = nil, errno: Int32? = nil, message: String) {
    self.operation = operation
    self.path = path
    self.errno = errno
    self.message = message
  }

  /// An error from a failed syscall: the message is strerror(errno).
  public static func posix(_ operation: String, path: String? = nil, errno code: Int32) -> DrydockKitError {
    DrydockKitError(operation: operation, path: path, errno: code, message: String(cString: strerror(code)))
  }

}
