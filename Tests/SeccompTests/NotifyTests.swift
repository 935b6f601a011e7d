import CSeccomp
import Glibc
import LinuxKit
import OCISpec
import Seccomp
import Testing

// SCMP_ACT_NOTIFY end to end: the child loads the filter, sends the listener fd to a unix
// socket the test listens on (as the runtime does for listenerPath), then makes the
// notified syscall; the test, acting as the seccomp agent, answers it.

/// A listening unix SOCK_STREAM socket at a fresh path; accept times out after 10 s so a
/// broken child fails the test instead of hanging it.
private func listeningSocket() throws -> (fd: Int32, path: String) {
  let path = "/tmp/hull-seccomp-\(getpid())-\(nowNanoseconds() % 1_000_000).sock"
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
  try #require(fd >= 0)
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
  let bound = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  try #require(bound == 0)
  try #require(listen(fd, 1) == 0)
  var timeout = timeval(tv_sec: 10, tv_usec: 0)
  _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  return (fd, path)
}

extension SeccompSuite {
  @Suite struct Notify {
    /// preconnected: the child connects before load (as a child past pivot_root must)
    /// and sends on that socket; otherwise it sends by path after the load.
    @Test(arguments: [false, true])
    func agentReceivesTheListenerAndAnswersASyscall(preconnected: Bool) throws {
      let (server, path) = try listeningSocket()
      defer {
        close(server)
        unlink(path)
      }
      let program = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"\#(path)","listenerMetadata":"TEST=1",
           "flags":["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
           "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_NOTIFY"}]}
          """#))
      #expect(program.usesNotify)

      nonisolated(unsafe) var early: Int32 = -1  // the child's own copy after fork
      let child = forkLoaded(
        program,
        prepare: {
          if preconnected { early = (try? SeccompNotify.connect(to: path)) ?? -2 }
        }
      ) { listener in
        guard listener >= 0 else { return 10 }
        let state = ContainerState(id: "seccomp-notify", status: .creating, pid: getpid(), bundle: "/bundle").json()
        do {
          if preconnected {
            try SeccompNotify.sendListener(fd: listener, socket: early, stateJSON: state, metadata: "TEST=1")
          } else {
            try SeccompNotify.sendListener(fd: listener, to: path, stateJSON: state, metadata: "TEST=1")
          }
        } catch {
          return 11
        }
        close(listener)  // the agent holds its own copy now
        return sys(SYS_getppid) == 4242 ? 0 : 12
      }

      let connection = accept(server, nil, nil)
      try #require(connection >= 0, "the child never connected: \(String(cString: strerror(errno)))")
      defer { close(connection) }
      let received = try #require(UnixSocket.receiveFD(connection, payloadCapacity: 4096))
      let listener = received.fd
      defer { close(listener) }

      // One message: the container process state of config-linux.md.
      let message = try JSON.parse(received.payload)
      #expect(message["fds"] == .array([.string("seccompFd")]))
      #expect(message["pid"]?.int64Value == Int64(child))
      #expect(message["metadata"]?.stringValue == "TEST=1")
      #expect(message["ociVersion"]?.stringValue == supportedOCIVersionMax)
      #expect(message["state"]?["id"]?.stringValue == "seccomp-notify")
      #expect(message["state"]?["status"]?.stringValue == "creating")

      // The agent: wait for the notification, check it, make getppid return 4242.
      var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
      try #require(poll(&ready, 1, 10_000) == 1)
      var request: UnsafeMutablePointer<seccomp_notif>?
      var response: UnsafeMutablePointer<seccomp_notif_resp>?
      try #require(seccomp_notify_alloc(&request, &response) == 0)
      defer { seccomp_notify_free(request, response) }
      let req = try #require(request)
      let resp = try #require(response)
      try #require(seccomp_notify_receive(listener, req) == 0)
      #expect(req.pointee.pid == UInt32(child))
      #expect(req.pointee.data.nr == SYS_getppid)
      resp.pointee.id = req.pointee.id
      resp.pointee.val = 4242
      resp.pointee.error = 0
      resp.pointee.flags = 0
      #expect(seccomp_notify_respond(listener, resp) == 0)

      #expect(wait(child) == .exited(0))
    }

    @Test func listenerPathThatDoesNotListenNamesTheField() throws {
      let missing = "/tmp/hull-seccomp-none-\(getpid()).sock"
      do {
        try SeccompNotify.sendListener(fd: 0, to: missing, stateJSON: #"{"pid":1}"#, metadata: nil)
        Issue.record("sendListener to a missing socket succeeded")
      } catch {
        #expect(error.field == "linux.seccomp.listenerPath")
        #expect(error.errno == ENOENT)
      }
      do {
        try SeccompNotify.sendListener(fd: 0, to: missing, stateJSON: "not json", metadata: nil)
        Issue.record("sendListener accepted a state that is not JSON")
      } catch {
        #expect(error.field == "state")
      }
    }
  }
}
