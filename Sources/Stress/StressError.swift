// StressError: the one error type of the Stress module.
//
// Public API:
//   struct StressError: Error, CustomStringConvertible, Sendable
//     operation: String; path: String?; message: String
//     init(operation:path:message:) ; init(_ kit: DrydockKitError)   (DrydockKit failures are wrapped, not leaked)
import DrydockKit

public struct StressError: HarnessError {
  public static let label: String? = "stress"
  public var operation: String
  public var path: String?
  public var message: String

  public init(operation: String, path: String? = nil, message: String) {
    self.operation = operation
    self.path = path
    self.message = message
  }

  public init(_ kit: DrydockKitError) {
    self.init(operation: kit.operation, path: kit.path, message: kit.message + (kit.errno.map { " (errno \($0))" } ?? ""))
  }

}

/// Runs `body`, turning a DrydockKitError into a StressError so callers see one error type.
func kit<T>(_ body: () throws -> T) throws(StressError) -> T {
  do { return try body() }
  catch let error as DrydockKitError { throw StressError(error) }
  catch let error as StressError { throw error }
  catch { throw StressError(operation: "unexpected", message: "\(error)") }
}
