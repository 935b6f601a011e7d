import CLinux
import Glibc
import LinuxKit
import OCISpec

/// `run` after create: release the init, then (unless detached) forward signals to it,
/// wait for it, delete the container and return its exit status (128+N for signal N).
public enum ForegroundRun {
  public static func run(_ container: consuming CreatedContainer, ops: ContainerOps, detach: Bool, keep: Bool)
    throws(RuntimeError) -> (exitCode: Int32, warnings: [String])
  {
    var record = container.record
    let sync = container.sync
    let pidfd = container.pidfd
    sync.send(UInt8(ascii: "s"))
    if let message = sync.receive(), message.tag == UInt8(ascii: "e") {
      sync.close()
      _ = try? ops.delete(record.id, force: true)
      reap(record.pid)
      throw SyncChannel.decodeError(message.payload)
    }
    sync.close()
    record.started = true
    try ops.store.markStarted(record.id)
    var warnings = HookRunner.runWarning(record.poststart, kind: "poststart",
                                         state: StateJSON.render(record: record, status: .running))
    if detach {
      close(pidfd)
      return (0, warnings)
    }
    let status = forwardSignalsUntilExit(pid: record.pid, pidfd: pidfd)
    close(pidfd)
    if !keep {
      do { warnings += try ops.delete(record.id, force: true) } catch { warnings.append(error.description) }
    }
    return (status, warnings)
  }

  static func forwardSignalsUntilExit(pid: Int32, pidfd: Int32) -> Int32 {
    let sfd = hk_signalfd_forwarding()
    var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0), pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
    while true {
      let r = poll(&fds, sfd >= 0 ? 2 : 1, -1)
      if r < 0 { if errno == EINTR { continue }; break }
      if fds[0].revents != 0 { break }
      if sfd >= 0 && fds[1].revents != 0 {
        while true {
          let sig = hk_signalfd_read(sfd)
          if sig <= 0 { break }
          if sig != SIGCHLD { _ = hk_pidfd_send_signal(pidfd, sig) }
        }
      }
    }
    if sfd >= 0 { close(sfd) }
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
