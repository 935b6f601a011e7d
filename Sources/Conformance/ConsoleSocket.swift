// ConsoleSocket: the receiving end of `--console-socket`, as conmon and containerd's shim implement it.
// The runtime must connect, and send ONE message with a non-empty payload and exactly one SCM_RIGHTS
// control message holding exactly one fd: the pty master (clients.md §6.4). The connection is queued by
// listen(2), so drydock can accept it after `create` has returned; no thread is needed.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

private typealias IoctlFunction = @convention(c) (Int32, UInt, UnsafeMutableRawPointer?) -> Int32
// ioctl is variadic: Swift's Glibc module does not import it.
private let ioctlFunction = libcSymbol("ioctl", as: IoctlFunction.self)

final class ConsoleSocket {
  let path: String
  private var listener: Int32 = -1
  /// Received pty masters, kept open until clean-up: closing one hangs up the container's terminal.
  private(set) var received: [Int32] = []

  init(path: String) throws {
    self.path = path
    unlink(path)
    listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard listener >= 0 else {
      throw HarnessError(.conformance, operation: "socket", path: path, message: String(cString: strerror(errno)))
    }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      throw HarnessError(.conformance, operation: "bind", path: path, message: "socket path too long")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, b) in bytes.enumerated() { raw[i] = b }
      raw[bytes.count] = 0
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard bound == 0, listen(listener, 4) == 0 else {
      throw HarnessError(.conformance, operation: "bind/listen", path: path, message: String(cString: strerror(errno)))
    }
  }

  deinit { close() }

  func close() {
    if listener >= 0 {
      Glibc.close(listener)
      listener = -1
    }
    for fd in received { Glibc.close(fd) }
    received = []
    unlink(path)
  }

  /// Accept one connection (waiting up to `timeout`) and read one message: what the runtime sent.
  func receive(timeout: Double) -> JSONValue {
    var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
    guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return .object(["connected": .bool(false)]) }
    let connection = accept(listener, nil, nil)
    guard connection >= 0 else { return .object(["connected": .bool(false)]) }
    defer { Glibc.close(connection) }
    var payload = [UInt8](repeating: 0, count: 4096)
    var control = [UInt8](repeating: 0, count: 512)
    var fds: [Int32] = []
    var controlMessages = 0
    var firstControlLength = 0
    let count: Int = payload.withUnsafeMutableBytes { p in
      control.withUnsafeMutableBytes { c in
        var vector = iovec(iov_base: p.baseAddress, iov_len: p.count)
        return withUnsafeMutablePointer(to: &vector) { v in
          var message = msghdr()
          message.msg_iov = v
          message.msg_iovlen = 1
          message.msg_control = c.baseAddress
          message.msg_controllen = c.count
          let n = recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
          guard n >= 0 else { return -1 }
          // Walk the cmsghdr list by hand: CMSG_FIRSTHDR/NXTHDR are macros Swift cannot import.
          var offset = 0
          let header = MemoryLayout<cmsghdr>.size
          while offset + header <= message.msg_controllen {
            let length = c.load(fromByteOffset: offset, as: Int.self)
            let level = c.load(fromByteOffset: offset + 8, as: Int32.self)
            let type = c.load(fromByteOffset: offset + 12, as: Int32.self)
            guard length >= header else { break }
            controlMessages += 1
            if controlMessages == 1 { firstControlLength = length }
            if level == SOL_SOCKET && type == Int32(SCM_RIGHTS) {
              for i in 0..<((length - header) / 4) {
                fds.append(c.load(fromByteOffset: offset + header + 4 * i, as: Int32.self))
              }
            }
            offset += (length + 7) & ~7
          }
          return n
        }
      }
    }
    received += fds
    var ptyNumber: UInt32 = 0
    let isMaster =
      fds.count == 1 && ioctlFunction.map { $0(fds[0], 0x8004_5430 /* TIOCGPTN */, &ptyNumber) == 0 } == true
    return .object([
      "connected": .bool(true), "payloadBytes": .number(Double(max(0, count))),
      "controlMessages": .number(Double(controlMessages)),
      "controlLength": .number(Double(firstControlLength)), "fdCount": .number(Double(fds.count)),
      "isPtyMaster": .bool(isMaster), "isTerminal": .bool(fds.first.map { isatty($0) == 1 } ?? false),
    ])
  }
}
