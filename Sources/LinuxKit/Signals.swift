import CLinux
import Glibc

/// The signal mask and the signalfd of a hull that forwards signals to its container's process.
/// The set forwarded is every signal but SIGKILL, SIGSTOP and the synchronous faults
/// (SIGSEGV, SIGBUS, SIGILL, SIGFPE): see forwarding_set in the shim.
public enum ForwardedSignals {
  /// Blocks the forwarded signals, so that they wait in a signalfd instead of killing hull.
  /// sigprocmask fails only for an invalid argument, which this fixed set is not.
  public static func block() { _ = hk_block_signals_for_forwarding() }

  /// Unblocks everything: a child about to become the container's process.
  /// (sigprocmask fails only for an invalid argument, which an empty set is not.)
  public static func unblockAll() { _ = hk_unblock_all_signals() }

  /// A non-blocking, close-on-exec signalfd for the forwarded signals; -1 + errno.
  public static func signalFD() -> Int32 { hk_signalfd_forwarding() }

  /// The next signal waiting on a signalfd from `signalFD()`, or -1 when none (EAGAIN).
  public static func next(_ signalFD: Int32) -> Int32 { hk_signalfd_read(signalFD) }
}

/// Device numbers.
public enum Devices {
  /// makedev(major, minor).
  public static func number(major: UInt32, minor: UInt32) -> UInt { UInt(hk_makedev(major, minor)) }
}
