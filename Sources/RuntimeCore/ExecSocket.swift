import Glibc
import LinuxKit

/// Unix sockets by path. Paths longer than sun_path (108 bytes) are reached through
/// their directory's fd (/proc/self/fd/N/name), so deep --root paths still work.
enum ExecSocket {
  static let name = "exec.sock"

  static func listen(stateDir: String) throws(RuntimeError) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if fd < 0 { throw RuntimeError(SystemError("socket")) }
    let path = stateDir + "/" + name
    let rc = withAddress(path) { addr, len in bind(fd, addr, len) }
    if rc != 0 || Glibc.listen(fd, 1) != 0 {
      let e = errno
      close(fd)
      throw RuntimeError(SystemError("listen on", path, errno: e))
    }
    return fd
  }

  /// The next connection on a listening socket, close-on-exec; -1 + errno.
  static func accept(_ listener: Int32) -> Int32 { UnixSocket.accept(listener) }

  static func connect(path: String, what: String, type: Int32 = Int32(SOCK_STREAM.rawValue)) throws(RuntimeError)
    -> Int32
  {
    let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    if fd < 0 { throw RuntimeError(SystemError("socket")) }
    var rc: Int32
    repeat { rc = withAddress(path) { addr, len in Glibc.connect(fd, addr, len) } } while rc != 0 && errno == EINTR
    if rc != 0 {
      let e = errno
      close(fd)
      throw RuntimeError(SystemError("connect to \(what)", path, errno: e))
    }
    return fd
  }

  private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var effective = path
    var dirFd: Int32 = -1
    if path.utf8.count >= 100 {
      dirFd = open(Paths.dirname(path), O_PATH | O_DIRECTORY | O_CLOEXEC)
      if dirFd < 0 { return -1 }
      effective = "/proc/self/fd/\(dirFd)/" + Paths.basename(path)
    }
    defer { if dirFd >= 0 { close(dirFd) } }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(effective.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
      errno = ENAMETOOLONG
      return -1
    }
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
      raw.copyBytes(from: bytes)
      raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }
}
