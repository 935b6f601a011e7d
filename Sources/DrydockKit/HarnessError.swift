// HarnessError: the shape every test-bed module's one error type shares, so that each module keeps
// its own type (DrydockKitError, BenchError, ReportError, TracerError, ConformanceError, StressError)
// without repeating how it reads.
//
// Public API:
//   protocol HarnessError: Error, CustomStringConvertible, Sendable
//     static var label: String?   a prefix such as "bench" (nil: none)
//     operation, path?, errno?, message
//   description: "[label: ]operation[ path]: message[ (errno N)]"

public protocol HarnessError: Error, CustomStringConvertible, Sendable {
  static var label: String? { get }
  var operation: String { get }
  var path: String? { get }
  var errno: Int32? { get }
  var message: String { get }
}

extension HarnessError {
  public static var label: String? { nil }
  public var errno: Int32? { nil }

  public var description: String {
    var text = Self.label.map { $0 + ": " } ?? ""
    text += operation
    if let path { text += " \(path)" }
    text += ": \(message)"
    if let errno { text += " (errno \(errno))" }
    return text
  }
}
