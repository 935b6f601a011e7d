import Glibc
import LinuxKit
import OCISpec

/// `run` after create: release the init, then (unless detached) forward signals to it,
/// wait for it, delete the container and return its exit status (128+N for signal N).
public enum ForegroundRun {
  public static func run(
    _ container: consuming CreatedContainer, ops: ContainerOps, detach: Bool, keep: Bool,
    console: ConsoleProxy? = nil
  )
    throws(RuntimeError) -> (exitCode: Int32, warnings: [String])
  {
    let record = container.record
    let sync = container.sync
    let pidfd = container.pidfd
    sync.send(.start)
    let signalFD = detach ? -1 : ForwardedSignals.signalFD()
    defer { if signalFD >= 0 { close(signalFD) } }
    var failure: RuntimeError?
    do {
      if let message = try ListenerHandoff.receive(sync, pidfd: pidfd, signalFD: signalFD), message.kind == .error {
        failure = SyncChannel.decodeError(message.payload)
      }
    } catch { failure = error }
    sync.close()
    if let failure {
      _ = try? ops.delete(record.id, force: true, onlyInit: (record.pid, record.initStartTime))
      reap(record.pid)
      close(pidfd)
      throw failure
    }
    try ops.store.markStarted(record.id)
    do { try ops.runPoststart(record) } catch {
      reap(record.pid)
      close(pidfd)
      throw error
    }
    var warnings: [String] = []
    if detach {
      close(pidfd)
      return (0, warnings)
    }
    let status = forwardSignalsUntilExit(pid: record.pid, pidfd: pidfd, console: console)
    close(pidfd)
    if !keep {
      do { warnings += try ops.delete(record.id, force: true, onlyInit: (record.pid, record.initStartTime)) } catch {
        warnings.append(error.description)
      }
    }
    return (status, warnings)
  }

  /// Waits for the process, forwarding signals to it and, with a console, copying its
  /// terminal to ours.
  static func forwardSignalsUntilExit(pid: Int32, pidfd: Int32, console: ConsoleProxy? = nil) -> Int32 {
    let sfd = ForwardedSignals.signalFD()
    var fds = [
      pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0), pollfd(fd: sfd, events: Int16(POLLIN), revents: 0),
    ]
    var consoleOpen = console != nil
    for fd in console?.pollable ?? [] { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
    loop: while true {
      let r = poll(&fds, nfds_t(fds.count), -1)
      if r < 0 {
        if errno == EINTR { continue }
        break
      }
      if fds[0].revents != 0 { break }
      if sfd >= 0 && fds[1].revents != 0 {
        while true {
          let sig = ForwardedSignals.next(sfd)
          if sig <= 0 { break }
          if sig == SIGWINCH, let console {
            console.resize()
            continue
          }
          if sig != SIGCHLD { PidFD.send(sig, to: pidfd) }  // fails only once it exited: the poll sees that
        }
      }
      if consoleOpen, let console {
        for i in 2..<fds.count where fds[i].revents != 0 {
          if !console.pump(fds[i].fd) {
            consoleOpen = false
            fds.removeSubrange(2...)
            continue loop
          }
          if fds[i].fd == 0 && fds[i].revents & Int16(POLLHUP) != 0 { fds[i].fd = -1 }
        }
      }
    }
    if sfd >= 0 { close(sfd) }
    console?.drain()
    console?.restore()
    return reap(pid)
  }

  @discardableResult
  static func reap(_ pid: Int32) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return 255 }
    }
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
  }
}
