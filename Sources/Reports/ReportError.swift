import DrydockKit
// ReportError: the one error type of the Reports module: what was being done, on which path, and why.
//
// Public API:
//   struct ReportError: Error, CustomStringConvertible, Sendable { operation; path: String?; errno: Int32?; message }

public struct ReportError: HarnessError {
  public static let label: String? = "report"
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

}
