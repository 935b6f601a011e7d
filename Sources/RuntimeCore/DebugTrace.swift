import Glibc

/// `--debug`: one line per step of create, start and exec with the milliseconds since the
/// command began (and since the previous step), handed to the CLI's log. Parent side only:
/// the container's init never writes here.
public enum DebugTrace {
  nonisolated(unsafe) private static var sink: ((String) -> Void)?
  nonisolated(unsafe) private static var started: UInt64 = 0
  nonisolated(unsafe) private static var last: UInt64 = 0

  /// Turns the trace on; times count from here.
  public static func enable(_ output: @escaping (String) -> Void) {
    sink = output
    started = now()
    last = started
  }

  static func step(_ what: @autoclosure () -> String) {
    guard let sink else { return }
    let time = now()
    sink("\(what()) (+\(milliseconds(time &- last)) ms, \(milliseconds(time &- started)) ms in)")
    last = time
  }

  private static func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  private static func milliseconds(_ nanoseconds: UInt64) -> String {
    let tenths = nanoseconds / 100_000
    return "\(tenths / 10).\(tenths % 10)"
  }
}
