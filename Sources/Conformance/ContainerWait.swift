// ContainerWait: wait for a container's process to exit, or for a file to appear, without sleeping.
// The test-bed becomes a child subreaper, so the init of a container whose `create` has returned is
// re-parented to us: we see its exit on a pidfd and read its exit status with waitpid, as conmon and
// containerd's shim do. Files (probe reports) are awaited with inotify.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A libc function Swift's Glibc module does not import (variadic or GNU-only), looked up once.
func libcSymbol<F>(_ name: String, as type: F.Type) -> F? {
  guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
  return unsafeBitCast(symbol, to: type)
}
// prctl is variadic and pidfd_open is a GNU extension: neither is imported by Swift's Glibc module.
private typealias PrctlFunction = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
private typealias PidfdOpenFunction = @convention(c) (pid_t, UInt32) -> Int32
private let prctlFunction = libcSymbol("prctl", as: PrctlFunction.self)
private let pidfdOpenFunction = libcSymbol("pidfd_open", as: PidfdOpenFunction.self)

public struct ExitObservation: Sendable, Equatable {
  public var exited: Bool
  /// nil when the process was not our child (its status went to someone else) or was killed by a signal.
  public var exitCode: Int32?
  public var signal: Int32?
}

public enum ContainerWait {
  private static let subreaperOnce: Bool = {
    guard let prctl = prctlFunction else { return false }
    return prctl(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0) == 0
  }()

  /// Make this process the subreaper of everything it starts (idempotent).
  @discardableResult
  public static func becomeSubreaper() -> Bool { subreaperOnce }

  public static func pidfd(_ pid: Int32) -> Int32 {
    guard pid > 0, let open = pidfdOpenFunction else { return -1 }
    return open(pid, 0)
  }

  /// Wait up to `timeout` seconds for `pid` to exit; reap it when it is our child.
  public static func waitForExit(pid: Int32, timeout: Double) -> ExitObservation {
    let fd = pidfd(pid)
    if fd < 0 {  // already gone (ESRCH), perhaps reaped by us earlier
      return reap(pid) ?? ExitObservation(exited: true, exitCode: nil, signal: nil)
    }
    defer { close(fd) }
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      let ms = Int32(max(0, min(Double(Int32.max), deadline.timeIntervalSinceNow * 1000)))
      let n = poll(&entry, 1, ms)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return ExitObservation(exited: false, exitCode: nil, signal: nil) }
      break
    }
    return reap(pid) ?? ExitObservation(exited: true, exitCode: nil, signal: nil)
  }

  /// waitpid without blocking; nil when `pid` is not our child or has not exited.
  @discardableResult
  public static func reap(_ pid: Int32) -> ExitObservation? {
    guard pid > 0 else { return nil }
    var status: Int32 = 0
    var r: pid_t
    repeat { r = waitpid(pid, &status, WNOHANG) } while r < 0 && errno == EINTR
    guard r == pid else { return nil }
    let sig = status & 0x7f
    return ExitObservation(exited: true, exitCode: sig == 0 ? (status >> 8) & 0xff : nil, signal: sig == 0 ? nil : sig)
  }

  public static func isAlive(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    if kill(pid, 0) != 0 { return false }
    // A zombie answers kill(0): look at its state.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
    return state != "Z" && state != "X"
  }

  public enum FileWait: Sendable, Equatable { case appeared, processExited, timedOut }

  /// Wait until `path` exists (a probe renames its report into place), giving up early when `pid` exits.
  public static func waitForFile(_ path: String, whileAlive pid: Int32?, timeout: Double) -> FileWait {
    if access(path, F_OK) == 0 { return .appeared }
    let directory = (path as NSString).deletingLastPathComponent
    let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
    guard inotify >= 0 else { return access(path, F_OK) == 0 ? .appeared : .timedOut }
    defer { close(inotify) }
    _ = inotify_add_watch(inotify, directory, UInt32(IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE))
    let pfd = pid.map { pidfd($0) } ?? -1
    defer { if pfd >= 0 { close(pfd) } }
    let deadline = Date().addingTimeInterval(timeout)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      if access(path, F_OK) == 0 { return .appeared }  // checked after the watch exists: no lost event
      var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
      if pfd >= 0 { fds.append(pollfd(fd: pfd, events: Int16(POLLIN), revents: 0)) }
      let ms = Int32(max(0, min(Double(Int32.max), deadline.timeIntervalSinceNow * 1000)))
      let n = poll(&fds, nfds_t(fds.count), ms)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return access(path, F_OK) == 0 ? .appeared : .timedOut }
      _ = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
      if fds.count > 1 && fds[1].revents != 0 {
        return access(path, F_OK) == 0 ? .appeared : .processExited
      }
    }
  }
}
