import CLinux
import Glibc

/// Unix sockets.
public enum UnixSocket {
  /// accept4(listener, SOCK_CLOEXEC); -1 + errno.
  public static func accept(_ listener: Int32) -> Int32 { hk_accept4_cloexec(listener) }

  /// Sends one message holding `payload` and `fd` as SCM_RIGHTS (MSG_NOSIGNAL); -1 + errno.
  public static func sendFD(_ socket: Int32, _ fd: Int32, payload: [UInt8]) -> Int32 {
    payload.withUnsafeBytes { hk_send_fd(socket, fd, $0.baseAddress, $0.count) }
  }

  /// Receives one fd sent as SCM_RIGHTS (close-on-exec) and the message's payload; nil + errno
  /// (EBADMSG when the message carries no single fd).
  public static func receiveFD(_ socket: Int32, payloadCapacity: Int = 256) -> (fd: Int32, payload: [UInt8])? {
    var buffer = [UInt8](repeating: 0, count: payloadCapacity)
    var length = 0
    let fd = buffer.withUnsafeMutableBytes { hk_recv_fd(socket, $0.baseAddress, $0.count, &length) }
    return fd >= 0 ? (fd, Array(buffer.prefix(length))) : nil
  }

  /// A close-on-exec SOCK_STREAM socket connected to `path` (retried on EINTR); -1 + errno.
  public static func connect(_ path: String) -> Int32 {
    let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if sock < 0 { return -1 }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      Glibc.close(sock)
      Glibc.errno = ENAMETOOLONG
      return -1
    }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    while true {
      let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(sock, $0, length) }
      }
      if rc == 0 { return sock }
      if Glibc.errno == EINTR { continue }
      let e = Glibc.errno
      Glibc.close(sock)
      Glibc.errno = e
      return -1
    }
  }
}
