import CLinux
import Glibc

/// A process handle that survives pid reuse: a pidfd.
public struct PidFD: ~Copyable {
  public let fd: Int32
  public let pid: Int32

  public init(pid: Int32) throws(SystemError) {
    self.pid = pid
    fd = try check("pidfd_open", "/proc/\(pid)") { hk_pidfd_open(pid, 0) }
  }

  public func signal(_ sig: Int32) throws(SystemError) {
    _ = try check("kill", "/proc/\(pid)") { hk_pidfd_send_signal(fd, sig) }
  }

  /// Waits until the process exits or `timeoutMs` passes; true when it exited.
  public func waitExit(timeoutMs: Int32) -> Bool { PidFD.waitReadable(fd, timeoutMs: timeoutMs) }

  /// A pidfd turns readable when its process exits.
  public static func waitReadable(_ fd: Int32, timeoutMs: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
      let r = poll(&p, 1, timeoutMs)
      if r < 0 && errno == EINTR { continue }
      return r > 0
    }
  }

  /// Gives the pidfd up without closing it: the caller owns it now.
  public consuming func take() -> Int32 {
    let fd = self.fd
    discard self
    return fd
  }

  /// A pidfd of `pid`, nil (with errno) when the process is gone.
  public static func open(_ pid: Int32) -> PidFD? { try? PidFD(pid: pid) }

  /// Signals through this pidfd: false (with errno) when the process is gone.
  public func send(_ sig: Int32) -> Bool { PidFD.send(sig, to: fd) }

  deinit { close(fd) }
}

// The same calls on pidfd numbers that another owner keeps (clone3's, stored in a record of
// the launch).
extension PidFD {
  /// pidfd_open(pid, 0): the pidfd, or -1 + errno.
  public static func openNumber(_ pid: Int32) -> Int32 { hk_pidfd_open(pid, 0) }

  /// pidfd_send_signal(pidfd, sig): false (with errno) when the process is gone.
  @discardableResult
  public static func send(_ sig: Int32, to pidfd: Int32) -> Bool { hk_pidfd_send_signal(pidfd, sig) == 0 }

  /// pidfd_getfd(pidfd, fd): a copy, in this process, of the process's fd `fd`; -1 + errno.
  public static func copyDescriptor(_ fd: Int32, from pidfd: Int32) -> Int32 { hk_pidfd_getfd(pidfd, fd) }
}

/// clone3(2) without a new stack.
public enum Clone {
  /// Returns twice like fork (0 in the child, the child's pid in the parent, -1 + errno).
  /// `pidfd` receives a pidfd of the child (CLONE_PIDFD); with `cgroupFD` ≥ 0 the child is
  /// born in that cgroup v2 directory (CLONE_INTO_CGROUP).
  public static func clone3(flags: UInt64, pidfd: inout Int32, cgroupFD: Int32 = -1) -> Int32 {
    hk_clone3(flags, &pidfd, cgroupFD)
  }
}
