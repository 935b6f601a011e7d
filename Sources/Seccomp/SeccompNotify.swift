import CSeccomp
import Glibc
import LinuxKit
import OCISpec

/// SCMP_ACT_NOTIFY: hands the filter's listener fd to the seccomp agent at
/// linux.seccomp.listenerPath, as config-linux.md specifies.
public enum SeccompNotify {
  /// Connects to `path` (a unix SOCK_STREAM socket) and sends, in ONE sendmsg, the
  /// container process state JSON with `fd` attached as SCM_RIGHTS:
  /// `{"ociVersion","fds":["seccompFd"],"pid","metadata","state":{...}}`.
  /// `stateJSON` is the container's state document (`hull state` output); its
  /// ociVersion and pid are repeated at the top level as the spec's example shows.
  /// `metadata` is linux.seccomp.listenerMetadata, left out when nil.
  public static func sendListener(fd: Int32, to path: String, stateJSON: String, metadata: String?) throws(SeccompError)
  {
    let message = try processState(stateJSON: stateJSON, metadata: metadata)
    let sock = try connect(to: path)
    defer { close(sock) }
    try send(message, fd: fd, socket: sock, path: path)
  }

  /// The same message on a socket from `connect(to:)`. For a child that loads the filter
  /// after pivot_root: listenerPath is a host path it can no longer reach, and the profile
  /// may deny socket/connect; so it connects first and sends after the load. (A profile
  /// that notifies sendmsg itself still needs the send done outside the filtered process.)
  public static func sendListener(fd: Int32, socket sock: Int32, stateJSON: String, metadata: String?)
    throws(SeccompError)
  {
    try send(processState(stateJSON: stateJSON, metadata: metadata), fd: fd, socket: sock, path: "")
  }

  /// The process that loads the filter cannot send the listener itself: any call it makes
  /// after the load (sendmsg, close, read…) may be one the filter hands to the agent, which
  /// has no listener yet, and it would wait forever. As runc, it only writes the listener's
  /// number to its parent with one write(2) (which SCMP_ACT_NOTIFY may not name); the parent
  /// takes the listener and the agent's socket with pidfd_getfd(2) and sends them on.
  ///
  /// The message, built before the load (no allocation after it): 10 digits of the
  /// listener's fd (filled in by `fillListener`), a space, 10 digits of the socket's fd, a
  /// space, the container process state.
  public static func handoffMessage(
    tag: UInt8, socket sock: Int32, stateJSON: String,
    metadata: String?
  ) throws(SeccompError) -> [UInt8] {
    let state = try processState(stateJSON: stateJSON, metadata: metadata)
    return [tag] + Array(repeating: UInt8(ascii: "0"), count: 10) + [0x20] + Array(digits(sock).utf8) + [0x20]
      + Array(state.utf8)
  }

  /// Writes the listener's number into a message from `handoffMessage` (no allocation).
  public static func fillListener(_ fd: Int32, into message: inout [UInt8]) {
    var value = Int(fd)
    for index in stride(from: 10, through: 1, by: -1) {
      message[index] = UInt8(ascii: "0") + UInt8(value % 10)
      value /= 10
    }
  }

  /// The parent's side: takes both fds from the process behind `pidfd` and sends the
  /// state with the listener to the agent. `payload` is the message without its tag.
  public static func forward(_ payload: String, from pidfd: Int32) throws(SeccompError) {
    let utf8 = Array(payload.utf8)
    guard utf8.count > 22, let listener = Int32(String(decoding: utf8[0..<10], as: UTF8.self)),
      let sock = Int32(String(decoding: utf8[11..<21], as: UTF8.self))
    else {
      throw SeccompError(
        operation: "receive seccomp listener", field: "linux.seccomp.listenerPath", errno: EPROTO,
        reason: "malformed hand-off message")
    }
    let ownListener = PidFD.copyDescriptor(listener, from: pidfd)
    if ownListener < 0 {
      throw SeccompError(
        operation: "pidfd_getfd (seccomp listener)", field: "linux.seccomp.listenerPath", errno: Glibc.errno)
    }
    defer { close(ownListener) }
    let ownSocket = PidFD.copyDescriptor(sock, from: pidfd)
    if ownSocket < 0 {
      throw SeccompError(
        operation: "pidfd_getfd (seccomp agent socket)", field: "linux.seccomp.listenerPath", errno: Glibc.errno)
    }
    defer { close(ownSocket) }
    try send(String(decoding: utf8[22...], as: UTF8.self), fd: ownListener, socket: ownSocket, path: "")
  }

  private static func digits(_ value: Int32) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, 10 - text.count)) + text
  }

  /// A unix SOCK_STREAM socket (close-on-exec) connected to the agent at `path`.
  public static func connect(to path: String) throws(SeccompError) -> Int32 {
    try checkListenerPath(path)
    let sock = UnixSocket.connect(path)
    if sock < 0 {
      throw SeccompError(operation: "connect \(path)", field: "linux.seccomp.listenerPath", errno: Glibc.errno)
    }
    return sock
  }

  /// What `connect(to:)` refuses before any call: a path that is not absolute (runc's Go
  /// dialer would take "@name" as an abstract socket, which a container's network namespace
  /// may shadow), empty, or longer than sun_path.
  public static func checkListenerPath(_ path: String) throws(SeccompError) {
    guard path.hasPrefix("/") else {
      throw SeccompError(
        operation: "connect \(path)", field: "linux.seccomp.listenerPath", errno: EINVAL,
        reason: "not an absolute path (abstract sockets are not supported)")
    }
    let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    guard path.utf8.count < capacity else {
      throw SeccompError(
        operation: "connect \(path)", field: "linux.seccomp.listenerPath", errno: ENAMETOOLONG,
        reason: "a unix socket path must have 1 to \(capacity - 1) bytes")
    }
  }

  private static func send(_ message: String, fd: Int32, socket sock: Int32, path: String) throws(SeccompError) {
    let rc = UnixSocket.sendFD(sock, fd, payload: Array(message.utf8))
    if rc < 0 {
      throw SeccompError(
        operation: path.isEmpty ? "sendmsg" : "sendmsg \(path)", field: "linux.seccomp.listenerPath",
        errno: Glibc.errno)
    }
  }

  /// The container process state (config-linux.md, "Container Process State").
  static func processState(stateJSON: String, metadata: String?) throws(SeccompError) -> String {
    let state: JSONValue
    do throws(JSONError) { state = try JSON.parse(stateJSON) } catch {
      throw SeccompError(
        operation: "sendListener", field: "state", errno: EINVAL, reason: "state is not JSON: \(error)")
    }
    guard case .object = state, let pid = state["pid"]?.int64Value else {
      throw SeccompError(
        operation: "sendListener", field: "state", errno: EINVAL,
        reason: "state must be an object with a pid")
    }
    var message = JSONObject()
    message["ociVersion"] = .string(state["ociVersion"]?.stringValue ?? supportedOCIVersionMax)
    message["fds"] = .array([.string("seccompFd")])
    message["pid"] = .int(pid)
    if let metadata { message["metadata"] = .string(metadata) }
    message["state"] = state
    return JSON.serialize(.object(message))
  }
}
