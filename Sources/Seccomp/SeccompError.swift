import LinuxKit

/// A seccomp profile that cannot be compiled, loaded or handed to its listener.
/// `field` names the config.json member at fault ("linux.seccomp.syscalls[3].names[0]")
/// so the user can find the line; `errno` is 0 when no system call failed.
public struct SeccompError: Error, Sendable, CustomStringConvertible {
  /// The failed step: "seccomp_rule_add", "seccomp(SECCOMP_SET_MODE_FILTER)", "compile", ...
  public let operation: String
  public let field: String
  public let errno: Int32
  public let reason: String

  public init(operation: String, field: String, errno: Int32 = 0, reason: String? = nil) {
    self.operation = operation
    self.field = field
    self.errno = errno
    self.reason = reason ?? (errno == 0 ? "failed" : SystemError.describe(errno))
  }

  /// `<operation> <field>: <reason>`, the runtime's error shape (see LinuxKit.SystemError).
  public var description: String {
    field.isEmpty ? "\(operation): \(reason)" : "\(operation) \(field): \(reason)"
  }
}
