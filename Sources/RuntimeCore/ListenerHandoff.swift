import Glibc
import LinuxKit
import Seccomp

/// The parent's side of the seccomp listener hand-off (SeccompNotify.handoffMessage; the
/// child's side is SeccompSetup): the process that loaded a filter with SCMP_ACT_NOTIFY writes
/// seccompListener and the numbers of its listener and of its connection to
/// linux.seccomp.listenerPath, then waits; the parent (start, run or exec) takes both with
/// pidfd_getfd, sends the listener and the container process state to the agent and answers
/// seccompListenerSent. Only then can a notified call of the
/// process's own (read, close, execve, …) reach an agent that can answer it.
enum ListenerHandoff {
  /// The child's next message, forwarding its listener on the way; nil at EOF (it exec'd).
  /// With `signalFD` (hull run, whose forwarded signals are blocked), a signal other than
  /// SIGCHLD or SIGWINCH ends the wait with an error: the process cannot be stopped by it
  /// before its exec, and hull must not sit deaf to SIGTERM behind a notified call.
  static func receive(_ channel: SyncChannel, pidfd: Int32, signalFD: Int32 = -1) throws(RuntimeError)
    -> SyncChannel.Message?
  {
    while true {
      if signalFD >= 0, let signal = waitReadable(channel.fd, signalFD: signalFD) {
        throw RuntimeError(
          "wait for the container process to start", reason: "interrupted by signal \(signal)", errno: EINTR)
      }
      guard let message = channel.receive() else { return nil }
      guard message.kind == .seccompListener else { return message }
      do { try SeccompNotify.forward(message.payload, from: pidfd) } catch {
        throw RuntimeError(
          "send the seccomp listener to the agent (linux.seccomp.listenerPath)",
          reason: error.description, errno: error.errno)
      }
      channel.send(.seccompListenerSent)
    }
  }

  /// Waits until `fd` is readable (nil) or a signal that ends the wait arrives (its number).
  private static func waitReadable(_ fd: Int32, signalFD: Int32) -> Int32? {
    var fds = [
      pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
    ]
    while true {
      if poll(&fds, 2, -1) < 0 {
        if errno == EINTR { continue }
        return nil
      }
      if fds[1].revents != 0 {
        let signal = ForwardedSignals.next(signalFD)
        if signal > 0 && signal != SIGCHLD && signal != SIGWINCH { return signal }
      }
      if fds[0].revents != 0 { return nil }
    }
  }
}
