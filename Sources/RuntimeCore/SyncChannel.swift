import Glibc
import LinuxKit

/// The parent/child protocol of create, run and exec, over a SOCK_SEQPACKET pair (one
/// message per send, so no framing is needed). Each message is one SyncMessage byte, then
/// its payload (for `error` and `seccompListener` only):
///
///   parent                                   child (the container's init, still hull)
///   clone3 ───────────────────────────────►  [waits for go only if a new user or cgroup ns]
///   attach to cgroups, write id maps, go ──► mounts (overlapping the parent's cgroup writes)
///                          ◄──────────────── runCreateHooks when create hooks exist
///   prestart + createRuntime, hooksDone ───► createContainer hooks, pivot_root, process setup
///                          ◄──────────────── ready (or error + RuntimeError at any step)
///   state.json, pid file, stateSaved ─────► (create) waits for start on exec.sock
///   run: start ────────────────────────────► or on this channel (run); identity, seccomp:
///                          ◄──────────────── seccompListener (SCMP_ACT_NOTIFY only; see ListenerHandoff)
///   listener sent to the agent, listenerSent ►
///                          ◄──────────────── execve: the channel closes on exec (EOF = success)
///
/// exec (ExecLauncher): the child first says lockReleased (it closed its copy of the
/// container's lock, so a frozen cgroup cannot keep that lock held), then gets go after the
/// cgroup attach; then the same seccompListener exchange, ready right before execve, and an
/// error if execve failed.
enum SyncMessage: UInt8, Sendable {
  case go = 0x47  // "G"
  case runCreateHooks = 0x68  // "h"
  case createHooksDone = 0x48  // "H"
  case ready = 0x72  // "r"
  case error = 0x65  // "e": operation, path, errno, reason (see SyncChannel.sendError)
  case stateSaved = 0x41  // "A"
  case start = 0x73  // "s"
  case seccompListener = 0x6e  // "n": see SeccompNotify.handoffMessage
  case seccompListenerSent = 0x4e  // "N"
  case lockReleased = 0x4c  // "L": exec's child closed its copy of the container's lock
}

struct SyncChannel {
  let fd: Int32

  /// Both ends, close-on-exec so the container's process never inherits them.
  static func pair() throws(SystemError) -> (parent: SyncChannel, child: SyncChannel) {
    var fds: [Int32] = [-1, -1]
    _ = try check("socketpair") {
      socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
    }
    return (SyncChannel(fd: fds[0]), SyncChannel(fd: fds[1]))
  }

  /// One message received: its kind (nil for a byte no SyncMessage has) and payload.
  struct Message {
    let kind: SyncMessage?
    let payload: String
  }

  @discardableResult
  func send(_ message: SyncMessage, _ payload: String = "") -> Bool {
    var bytes = [message.rawValue]
    bytes.append(contentsOf: payload.utf8)
    while true {
      let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n < 0 && errno == EINTR { continue }
      return n == bytes.count
    }
  }

  /// The next message, or nil at EOF (the other side closed or exec'd).
  func receive() -> Message? {
    var buffer = [UInt8](repeating: 0, count: 8192)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return nil }
      return Message(kind: SyncMessage(rawValue: buffer[0]), payload: String(decoding: buffer[1..<n], as: UTF8.self))
    }
  }

  /// The child's side: the next message must be `expected`. Anything else, or EOF, means the
  /// parent went away or broke the protocol; it reports what happened, the child just exits.
  func expect(_ expected: SyncMessage) throws(InitAbort) {
    guard let message = receive(), message.kind == expected else { throw .parentGone }
  }

  /// Whether a message (or EOF) arrived within `timeoutMs`.
  func waitReadable(timeoutMs: Int32) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
      let n = poll(&entry, 1, timeoutMs)
      if n < 0 && errno == EINTR { continue }
      return n != 0
    }
  }

  /// close(2) frees the number even when it reports an error: nothing to retry.
  func close() { _ = Glibc.close(fd) }

  /// Errors cross the channel as four fields separated by \u{1}.
  func sendError(_ error: RuntimeError) {
    // One message must fit the socket's buffer: cut fields that carry config values (a
    // 300 kB hostname once made this send fail).
    func cut(_ s: String) -> String {
      s.utf8.count <= 1024 ? s : String(decoding: s.utf8.prefix(1024), as: UTF8.self) + "…"
    }
    send(.error, "\(cut(error.operation))\u{1}\(cut(error.path))\u{1}\(error.errno)\u{1}\(cut(error.reason))")
  }

  /// Any error of the child's steps: the runtime's own, a failed syscall, or anything else.
  func sendFailure(_ error: any Error, operation: String) {
    if let error = error as? RuntimeError {
      sendError(error)
    } else if let error = error as? SystemError {
      sendError(RuntimeError(error))
    } else {
      sendError(RuntimeError(operation, reason: "\(error)"))
    }
  }

  static func decodeError(_ payload: String) -> RuntimeError {
    let parts = payload.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 4 else { return RuntimeError("container init", reason: payload) }
    return RuntimeError(parts[0], parts[1], reason: parts[3], errno: Int32(parts[2]) ?? 0)
  }
}
