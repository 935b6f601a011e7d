// HarnessError: the one error type of the test-bed (DrydockKit, Bench, Reports, Tracer, Conformance,
// Stress, VMHost and the drydock executable).
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the test-bed: what was being done, on which file or binary, and why.
///
/// Printed as "[label: ]operation[ path]: message[ (errno N)]", the label being the domain's when it has one.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
  /// The module that failed. Bench, report and stress errors are printed with their label
  /// ("bench: ..."); the others start with the operation, as they always have.
  public enum Domain: String, Sendable {
    case kit, bench, report, tracer, conformance, stress

    /// The prefix of the error's description, or nil for none.
    public var label: String? {
      switch self {
      case .bench, .report, .stress: rawValue
      case .kit, .tracer, .conformance: nil
      }
    }
  }

  public var domain: Domain
  /// What was being done ("posix_spawn", "rmdir", "write config.json", "load BPF object", ...).
  public var operation: String
  /// The file, directory, program or binary involved, when there is one.
  public var path: String?
  /// The C errno, when the failure came from a syscall or libbpf.
  public var errno: Int32?
  /// A human sentence (includes strerror when errno is set), with the remedy when there is one.
  public var message: String

  public init(_ domain: Domain, operation: String, path: String? = nil, errno: Int32? = nil, message: String) {
    self.domain = domain
    self.operation = operation
    self.path = path
    self.errno = errno
    self.message = message
  }

  /// An error from a failed syscall: the message is strerror(errno).
  public static func posix(_ domain: Domain, _ operation: String, path: String? = nil, errno code: Int32)
    -> HarnessError
  {
    HarnessError(domain, operation: operation, path: path, errno: code, message: String(cString: strerror(code)))
  }

  /// The same failure reported by another module (a DrydockKit error surfacing from Bench reads "bench: ...").
  public func relabeled(_ domain: Domain) -> HarnessError {
    var copy = self
    copy.domain = domain
    return copy
  }

  /// The message followed by " (errno N)" when there is an errno.
  public var detail: String {
    message + (errno.map { " (errno \($0))" } ?? "")
  }

  public var description: String {
    var text = domain.label.map { $0 + ": " } ?? ""
    text += operation
    if let path { text += " \(path)" }
    return text + ": " + detail
  }
}
