// ReportError: the one error type of the Reports module: what was being done, on which path, and why.
//
// Public API:
//   struct ReportError: Error, CustomStringConvertible, Sendable { operation; path: String?; errno: Int32?; message }

public struct ReportError: Error, CustomStringConvertible, Sendable {
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

  public var description: String {
    var text = "report: " + operation
    if let path { text += " \(path)" }
    text += ": \(message)"
    if let errno { text += " (errno \(errno))" }
    return text
  }
}
