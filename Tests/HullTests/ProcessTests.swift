// Issue 2 item 7: args, env, cwd, user, umask, rlimits, noNewPrivileges, oomScoreAdj,
// capabilities, terminal + --console-socket, stdio, --preserve-fds, closing other fds.
import Foundation
import Glibc
import LinuxKit
import OCISpec
import Testing

@Suite("process") struct ProcessTests {
  @Test("args reach the process unchanged; env and cwd; HOME from /etc/passwd")
  func argsEnvCwd() throws {
    let sb = try Sandbox("args-env")
    defer { sb.cleanup() }
    sb.set(
      "process.args",
      jsonStrings([
        "/bin/sh", "-c", #"for a in "$@"; do echo "[$a]"; done; echo "FOO=$FOO"; echo "HOME=$HOME"; pwd"#, "argv0",
        "two words", "$dollar", "", "ü",
      ]))
    sb.set("process.env", jsonStrings(["PATH=/bin", "FOO=bar baz=qux"]))
    sb.set("process.cwd", .string("/etc"))
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "[two words]\n[$dollar]\n[]\n[ü]\nFOO=bar baz=qux\nHOME=/root\n/etc\n", "\(result)")

    sb.set("process.env", jsonStrings(["PATH=/bin", "HOME=/custom"]))
    sb.script("echo $HOME; env | sort")
    let explicit = try sb.runContainer(sb.newID("home"))
    #expect(explicit.stdout.hasPrefix("/custom\n"), "\(explicit)")
    #expect(
      !explicit.stdout.contains("HULL") && !explicit.stdout.contains("SWIFT"),
      "the caller's environment leaked: \(explicit)")
  }

  @Test("user uid, gid, additionalGids and umask")
  func userAndUmask() throws {
    let sb = try Sandbox("user")
    defer { sb.cleanup() }
    sb.set("process.user", json: #"{"uid": 1, "gid": 1, "additionalGids": [5, 65534], "umask": 63}"#)
    sb.script("id -u; id -g; id -G; umask; cat /proc/self/status | grep -E '^(Uid|Gid|Groups):'")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count >= 4, "\(result)")
    guard lines.count >= 4 else { return }
    #expect(lines[0] == "1" && lines[1] == "1")
    #expect(Set(lines[2].split(separator: " ")) == ["1", "5", "65534"], "\(lines[2])")
    #expect(lines[3] == "0077")
    #expect(statusField(result.stdout, "Uid")?.split(separator: "\t") == ["1", "1", "1", "1"], "\(result)")
  }

  @Test("rlimits are applied; one above the host's hard limit is a clear error")
  func rlimits() throws {
    let sb = try Sandbox("rlimits")
    defer { sb.cleanup() }
    sb.set(
      "process.rlimits",
      json:
        #"[{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}, {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]"#)
    sb.script("ulimit -n; ulimit -Hn; ulimit -u")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "512\n1000\n300\n", "\(result)")

    var hard = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &hard)
    let above = UInt64(hard.rlim_max) + 1000
    sb.set("process.rlimits", json: #"[{"type": "RLIMIT_NOFILE", "soft": \#(above), "hard": \#(above)}]"#)
    let id = sb.newID("above")
    let refused = try sb.runContainer(id)
    // Allowed only with CAP_SYS_RESOURCE, which this host's bounding set may lack.
    if Host.lacksSysResource {
      #expect(refused.status != 0 && refused.stderr.contains("RLIMIT_NOFILE"), "\(refused)")
    }
    sb.expectNothingLeft(id)
  }

  @Test("noNewPrivileges sets NoNewPrivs", arguments: [true, false])
  func noNewPrivileges(_ enabled: Bool) throws {
    let sb = try Sandbox("nnp")
    defer { sb.cleanup() }
    sb.set("process.noNewPrivileges", .bool(enabled))
    sb.script("grep NoNewPrivs /proc/self/status")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(statusField(result.stdout, "NoNewPrivs") == (enabled ? "1" : "0"), "\(result)")
  }

  @Test("oomScoreAdj (raised to 500)")
  func oomScoreAdj() throws {
    let sb = try Sandbox("oom")
    defer { sb.cleanup() }
    sb.set("process.oomScoreAdj", .int(500))
    sb.script("cat /proc/self/oom_score_adj")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0 && result.stdout == "500\n", "\(result)")
  }

  @Test("capabilities: CapEff, CapPrm, CapBnd, CapInh and CapAmb match the config")
  func capabilities() throws {
    let sb = try Sandbox("caps")
    defer { sb.cleanup() }
    // KILL=5, NET_BIND_SERVICE=10, CHOWN=0, AUDIT_WRITE=29
    sb.set(
      "process.capabilities",
      json: #"""
        {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_AUDIT_WRITE"],
         "effective": ["CAP_KILL", "CAP_CHOWN"],
         "permitted": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
         "inheritable": ["CAP_NET_BIND_SERVICE"],
         "ambient": ["CAP_NET_BIND_SERVICE"]}
        """#)
    sb.set("process.noNewPrivileges", .bool(false))
    sb.set("process.user", json: #"{"uid": 1, "gid": 1}"#)
    sb.script("grep ^Cap /proc/self/status")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    func mask(_ bits: [Int]) -> String { String(format: "%016llx", bits.reduce(UInt64(0)) { $0 | (1 << UInt64($1)) }) }
    // A non-root process keeps across execve exactly its ambient set (no file capabilities here).
    #expect(statusField(result.stdout, "CapBnd") == mask([5, 10, 0, 29]), "\(result)")
    #expect(statusField(result.stdout, "CapInh") == mask([10]), "\(result)")
    #expect(statusField(result.stdout, "CapAmb") == mask([10]), "\(result)")
    #expect(statusField(result.stdout, "CapPrm") == mask([10]), "\(result)")
    #expect(statusField(result.stdout, "CapEff") == mask([10]), "\(result)")

    // Root: the kernel gives permitted = effective = the bounding set at execve (as with runc).
    sb.set("process.user", json: #"{"uid": 0, "gid": 0}"#)
    sb.set(
      "process.capabilities",
      json:
        #"{"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_KILL", "CAP_CHOWN"]}"#
    )
    let root = try sb.runContainer(sb.newID("root"))
    #expect(statusField(root.stdout, "CapBnd") == mask([5, 0]), "\(root)")
    #expect(statusField(root.stdout, "CapEff") == mask([5, 0]), "\(root)")
    #expect(statusField(root.stdout, "CapPrm") == mask([5, 0]), "\(root)")
    #expect(statusField(root.stdout, "CapAmb") == mask([]), "\(root)")

    // No capabilities object: the process gets none.
    sb.set("process.capabilities", nil)
    let none = try sb.runContainer(sb.newID("none"))
    #expect(statusField(none.stdout, "CapEff") == mask([]), "\(none)")
    #expect(statusField(none.stdout, "CapBnd") == mask([]), "\(none)")

    // Spec 1.0.x: an unknown capability name MUST be an error.
    sb.set("process.capabilities", json: #"{"bounding": ["CAP_NO_SUCH_THING", "CAP_KILL"]}"#)
    sb.set("ociVersion", .string("1.0.2"))
    let refused = try sb.runContainer(sb.newID("unknown-102"))
    #expect(
      refused.status != 0 && refused.stderr.contains("CAP_NO_SUCH_THING") && refused.stderr.contains("1.0.2"),
      "\(refused)")

    // Spec 1.1+: it is ignored with a warning (as runc 1.1 does).
    sb.set("ociVersion", .string("1.1.0"))
    let unknown = try sb.runContainer(sb.newID("unknown"))
    #expect(
      unknown.status == 0 && unknown.stderr.contains("warning") && unknown.stderr.contains("CAP_NO_SUCH_THING"),
      "\(unknown)")
    #expect(
      Set(unknown.stderr.split(separator: "\n")).count == unknown.stderr.split(separator: "\n").count,
      "a warning printed twice: \(unknown)")
    #expect(statusField(unknown.stdout, "CapBnd") == mask([5]), "\(unknown)")
  }

  @Test(
    "a capability outside the host's bounding set (CAP_SYS_RESOURCE) warns and the container still starts",
    .enabled(if: Host.lacksSysResource, "this host's bounding set has CAP_SYS_RESOURCE"))
  func capabilityOutsideHostBoundingSet() throws {
    let sb = try Sandbox("caps-missing")
    defer { sb.cleanup() }
    sb.set(
      "process.capabilities",
      json:
        #"{"bounding": ["CAP_KILL", "CAP_SYS_RESOURCE"], "effective": ["CAP_KILL", "CAP_SYS_RESOURCE"], "permitted": ["CAP_KILL", "CAP_SYS_RESOURCE"]}"#
    )
    sb.script("grep -E '^Cap(Eff|Bnd)' /proc/self/status")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stderr.contains("warning") && result.stderr.contains("CAP_SYS_RESOURCE"), "\(result)")
    #expect(statusField(result.stdout, "CapEff") == "0000000000000020", "\(result)")
  }

  @Test("terminal: the pty master arrives on --console-socket in one SCM_RIGHTS message and talks to the container")
  func consoleSocket() throws {
    let sb = try Sandbox("console")
    defer { sb.cleanup() }
    sb.set("process.terminal", .bool(true))
    sb.set("process.consoleSize", json: #"{"height": 33, "width": 111}"#)
    sb.script("read line; echo \"got:$line\"; tty; stty size; test -t 0 && echo stdin-is-tty")
    let socketPath = sb.dir + "/console.sock"
    let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    try #require(listener >= 0)
    defer { close(listener) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      let bytes = Array(socketPath.utf8)
      for (i, b) in bytes.enumerated() { buffer[i] = b }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    try #require(bound == 0 && listen(listener, 1) == 0)

    // Without --console-socket, terminal: true is refused.
    let noSocketID = sb.newID("nosocket")
    let noSocket = try sb.hull(["create", "--bundle", sb.bundle, noSocketID])
    #expect(noSocket.status != 0 && noSocket.stderr.contains("console-socket"), "\(noSocket)")
    sb.expectNothingLeft(noSocketID)

    let id = sb.newID()
    try sb.create(id, extra: ["--console-socket", socketPath])
    let connection = UnixSocket.accept(listener)
    try #require(connection >= 0)
    defer { close(connection) }
    let received = UnixSocket.receiveFD(connection)
    let master = received?.fd ?? -1
    try #require(master >= 0, "no fd arrived on the console socket")
    defer { close(master) }
    // Exactly one message: nothing more follows, and the peer has closed.
    var extra = [UInt8](repeating: 0, count: 16)
    var pfd = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
    _ = poll(&pfd, 1, 2000)
    #expect(
      recv(connection, &extra, extra.count, Int32(MSG_DONTWAIT)) == 0, "more than one message on the console socket")
    var st = stat()
    #expect(fstat(master, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR, "the fd is not a pty master")

    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    let input = Array("hello-pty\n".utf8)
    #expect(write(master, input, input.count) == input.count)
    var output = ""
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline && !output.contains("stdin-is-tty") {
      var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      if poll(&p, 1, 200) > 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(master, &buffer, buffer.count)
        if n <= 0 { break }
        output += String(decoding: buffer[0..<n], as: UTF8.self)
      }
    }
    #expect(output.contains("got:hello-pty"), "\(output.debugDescription)")
    #expect(output.contains("/dev/pts/0"), "\(output.debugDescription)")
    #expect(output.contains("33 111"), "consoleSize not applied: \(output.debugDescription)")
    #expect(output.contains("stdin-is-tty"), "\(output.debugDescription)")
    #expect(sb.waitForStatus(id, "stopped"))
  }

  @Test("stdio is passed through: stdin in, stdout and stderr out")
  func stdio() throws {
    let sb = try Sandbox("stdio")
    defer { sb.cleanup() }
    sb.script("cat; echo to-stderr >&2")
    let result = try sb.hull(["run", "--bundle", sb.bundle, sb.newID()], stdin: "line one\nline two\n")
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "line one\nline two\n")
    #expect(result.stderr == "to-stderr\n", "\(result)")
  }

  @Test("--preserve-fds passes fd 3 on; every other inherited fd is closed")
  func preserveAndCloseFds() throws {
    let sb = try Sandbox("fds")
    defer { sb.cleanup() }
    let file3 = sb.dir + "/fd3.txt"
    let file4 = sb.dir + "/fd4.txt"
    try "content of fd 3\n".write(toFile: file3, atomically: false, encoding: .utf8)
    try "content of fd 4\n".write(toFile: file4, atomically: false, encoding: .utf8)
    let fd3 = open(file3, O_RDONLY | O_CLOEXEC)
    let fd4 = open(file4, O_RDONLY | O_CLOEXEC)
    defer {
      close(fd3)
      close(fd4)
    }
    // The spawn maps them onto 3, 4 and 9 in hull, without close-on-exec.
    let fds: [(source: Int32, target: Int32)] = [(fd3, 3), (fd4, 4), (fd4, 9)]

    /// The fds of the container's process, read from the host (no shell pipes to race with).
    func fdsOf(_ id: String) throws -> [String: String] {
      let pid = try sb.pid(id)
      var result: [String: String] = [:]
      for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
        result[name] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(name)")) ?? "?"
      }
      return result
    }

    sb.script("exec sleep 30")
    let keep = sb.newID("keep")
    let preserved = try sb.hull(["run", "-d", "--preserve-fds", "1", "--bundle", sb.bundle, keep], fds: fds)
    #expect(preserved.status == 0, "\(preserved)")
    let kept = try fdsOf(keep)
    #expect(kept.keys.sorted() == ["0", "1", "2", "3"], "\(kept)")
    #expect(kept["3"] == file3, "\(kept)")

    let closeID = sb.newID("close")
    let closed = try sb.hull(["run", "-d", "--bundle", sb.bundle, closeID], fds: fds)
    #expect(closed.status == 0, "\(closed)")
    let remaining = try fdsOf(closeID)
    #expect(remaining.keys.sorted() == ["0", "1", "2"], "inherited fds leaked into the container: \(remaining)")

    // The preserved fd is readable from inside.
    sb.script("cat <&3")
    let read = try sb.hull(["run", "--preserve-fds", "1", "--bundle", sb.bundle, sb.newID("read")], fds: fds)
    #expect(read.status == 0 && read.stdout == "content of fd 3\n", "\(read)")

    // create keeps them until start.
    sb.script("exec sleep 30")
    let id = sb.newID("create")
    let create = try sb.hull(["create", "--preserve-fds", "2", "--bundle", sb.bundle, id], fds: fds)
    #expect(create.status == 0, "\(create)")
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "running"))
    usleep(100_000)
    let started = try fdsOf(id)
    #expect(started.keys.sorted() == ["0", "1", "2", "3", "4"], "\(started)")
    #expect(started["4"] == file4, "\(started)")
  }

  @Test("LISTEN_FDS fds are passed on like preserved fds")
  func listenFds() throws {
    let sb = try Sandbox("listen-fds")
    defer { sb.cleanup() }
    let file = sb.dir + "/listen.txt"
    try "socket-activated\n".write(toFile: file, atomically: false, encoding: .utf8)
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    defer { close(fd) }
    sb.script("cat <&3")
    try sb.writeConfig()
    let result = try spawn(
      [HullTestEnv.hullPath, "--root", sb.root, "run", "--bundle", sb.bundle, sb.newID()],
      outputDir: sb.dir, fds: [(fd, 3)],
      environment: ["PATH=/usr/bin:/bin", "LISTEN_FDS=1", "LISTEN_PID=1"]
    ).wait()
    #expect(result.status == 0 && result.stdout == "socket-activated\n", "\(result)")
  }
}
