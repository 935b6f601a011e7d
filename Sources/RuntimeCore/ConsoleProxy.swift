import Glibc
import LinuxKit

/// A terminal for `run` and `exec` in the foreground when the caller gave no
/// --console-socket: hull receives the pty master itself over a socket pair and copies
/// between it and its own stdin/stdout, with the caller's terminal in raw mode.
public final class ConsoleProxy {
  /// Our end of the pair; the other end goes to the container as its console socket.
  public let receiver: Int32
  public let sender: Int32
  private var master: Int32 = -1
  private var savedTermios: termios?

  public init() throws(RuntimeError) {
    var fds: [Int32] = [-1, -1]
    if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) != 0 {
      throw RuntimeError(SystemError("socketpair", "console"))
    }
    receiver = fds[0]
    sender = fds[1]
  }

  /// Takes the pty master sent by the container's process; raw mode on our terminal.
  public func receiveMaster() throws(RuntimeError) {
    close(sender)
    guard let received = UnixSocket.receiveFD(receiver) else {
      throw RuntimeError(SystemError("receive pty master", "console"))
    }
    master = received.fd
    close(receiver)
    if isatty(0) == 1 {
      var current = termios()
      if tcgetattr(0, &current) == 0 {
        savedTermios = current
        var raw = current
        cfmakeraw(&raw)
        // A terminal that refuses raw mode still works, only echoing locally.
        _ = tcsetattr(0, TCSANOW, &raw)
      }
      resize()
    }
  }

  /// Copies the caller's window size to the pty (at start and on SIGWINCH).
  public func resize() {
    // Not a terminal (stdin redirected): the pty keeps its size, as with runc.
    _ = Terminal.copyWindowSize(from: 0, to: master)
  }

  /// The fds to poll: stdin and the master.
  var pollable: [Int32] { master >= 0 ? [0, master] : [] }

  /// Copies what is readable; false once the master is closed (the process exited).
  func pump(_ fd: Int32) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 16384)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n <= 0 { return fd == 0 }  // EOF on stdin: keep going; on the master: done
    let target: Int32 = fd == 0 ? master : 1
    try? Files.writeAll(target, Array(buffer[0..<n]), path: fd == 0 ? "pty" : "stdout")
    return true
  }

  /// Drains what the process wrote before it exited.
  func drain() {
    guard master >= 0 else { return }
    // A master that refuses O_NONBLOCK would make the loop below wait for more: then leave it.
    guard (try? Files.setNonBlocking(master)) != nil else { return }
    while pump(master) {}
  }

  public func restore() {
    // Best effort: the caller's terminal may be gone (a closed ssh session).
    if var saved = savedTermios { _ = tcsetattr(0, TCSANOW, &saved) }
    if master >= 0 { close(master) }
    master = -1
  }

  deinit { restore() }
}
