import DrydockKit
// TracerError: the one error type of the Tracer module.
//
// Public API:
//   struct TracerError: Error, CustomStringConvertible, Sendable
//     operation: String   what was being done ("load BPF object", "attach tp_btf/sys_enter", "compile BPF", ...)
//     path: String?        the file, program or binary involved
//     errno: Int32?        the errno from libbpf or a syscall
//     message: String      a human sentence, with the remedy when there is one
#if canImport(Glibc)
import Glibc
#endif

public struct TracerError: HarnessError {
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

  /// libbpf returns -errno (or NULL with errno set): normalise both into one error with strerror.
  static func libbpf(_ operation: String, path: String? = nil, code: Int32, detail: String = "") -> TracerError {
    let positive = code < 0 ? -code : code
    var text = String(cString: strerror(positive))
    if !detail.isEmpty { text += ": " + detail }
    return TracerError(operation: operation, path: path, errno: positive, message: text)
  }

}
