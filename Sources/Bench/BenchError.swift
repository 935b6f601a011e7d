// BenchError: the one error type of the Bench module: what was being done, on which path, and why.
//
// Public API:
//   struct BenchError: Error, CustomStringConvertible, Sendable { operation; path: String?; errno: Int32?; message }
import DrydockKit

public struct BenchError: HarnessError {
  public static let label: String? = "bench"
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

  public init(_ error: DrydockKitError) {
    self.init(operation: error.operation, path: error.path, errno: error.errno, message: error.message)
  }

}
