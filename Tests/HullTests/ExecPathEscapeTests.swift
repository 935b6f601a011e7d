// Issue 14 item 1: CVE-2024-21626's class through the program path. The kernel walks
// execve's path (and chdir's) while close-on-exec fds are still open, so a host directory
// fd hull holds at that point (the unified cgroup directory of clone3, a caller's fd) makes
// process.args[0] = /proc/self/fd/N/../../…/host/bin run a host binary in the container.
// These tests place a static busybox named `echo` in a host directory outside the rootfs and
// try every fd number 3…20 as args[0] and as the cwd, under run, create+start and exec, with
// and without a host directory fd from the caller (leaked, as stdin, or preserved).
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("exec path escape") struct ExecPathEscapeTests {
  static let fdNumbers = Array(3...20)

  /// A host directory outside the rootfs with a static busybox named `echo` in it (it runs
  /// the echo applet), a marker it is made to print, and an fd to the host's root for hull.
  struct HostBinary {
    let path: String
    let marker: String
    let rootFD: Int32
    /// args[0] reaching `path` from the directory of fd `n`, whatever its depth on the host.
    func args(viaFD n: Int32) -> JSONValue {
      jsonStrings(["/proc/self/fd/\(n)" + String(repeating: "/..", count: 16) + path, marker])
    }
  }

  static func hostBinary(_ sb: Sandbox) throws -> HostBinary {
    let dir = sb.dir + "/host-bin"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let copy = try run(["/bin/cp", HullTestEnv.cache + "/bin/busybox", dir + "/echo"], outputDir: sb.dir)
    guard copy.status == 0 else { throw TestFailure("copy busybox: \(copy)") }
    // Close-on-exec here: only the hull it is handed to gets it, without the flag.
    let fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw TestFailure("open /: \(String(cString: strerror(errno)))") }
    return HostBinary(path: dir + "/echo", marker: "host-binary-ran-\(getpid())-\(sb.name)", rootFD: fd)
  }

  /// No extra fd, then the host's / leaked to hull as fd 7.
  static func callerFDs(_ host: HostBinary) -> [[(source: Int32, target: Int32)]] { [[], [(host.rootFD, 7)]] }

  /// The container's output after create + start (the init writes to create's stdout).
  static func createAndStart(_ sb: Sandbox, _ id: String, fds: [(source: Int32, target: Int32)]) throws -> String {
    let create = try sb.hull(["create", "--bundle", sb.bundle, id], fds: fds)
    guard create.status == 0 else { return "create: \(create)" }
    let start = try sb.hull(["start", id], writeConfig: false)
    _ = sb.waitForStatus(id, "stopped")
    let output = readText(create.stdoutPath)
    _ = try sb.hull(["delete", "--force", id], writeConfig: false)
    return "start: \(start)\n--- container output:\n\(output)"
  }

  @Test("args[0] through /proc/self/fd/N (N = 3…20) never runs a host binary under run or create+start")
  func args0ViaProcFdInit() throws {
    let sb = try Sandbox("exec-path-init")
    defer { sb.cleanup() }
    let host = try Self.hostBinary(sb)
    defer { close(host.rootFD) }
    for fds in Self.callerFDs(host) {
      let label = fds.isEmpty ? "hull's own fds" : "a caller's fd 7 to the host's /"
      for n in Self.fdNumbers.map(Int32.init) {
        sb.set("process.args", host.args(viaFD: n))
        let run = try sb.runContainer(sb.newID("r\(n)-\(fds.count)"), extra: [], timeout: 30)
        #expect(!run.stdout.contains(host.marker), "run, \(label): args[0] via fd \(n) ran the host binary: \(run)")
        if run.status != 0 {
          #expect(run.stderr.contains("/proc/self/fd/\(n)"), "the error should name args[0]: \(run)")
        }
        let started = try Self.createAndStart(sb, sb.newID("c\(n)-\(fds.count)"), fds: fds)
        #expect(
          !started.contains(host.marker), "create+start, \(label): args[0] via fd \(n) ran the host binary: \(started)")
      }
    }
    sb.ids.forEach { sb.expectNothingLeft($0) }
  }

  @Test("a host directory the caller hands over as stdin or a preserved fd does not take args[0] out of the root")
  func args0ViaCallersDirectory() throws {
    let sb = try Sandbox("exec-path-stdio")
    defer { sb.cleanup() }
    let host = try Self.hostBinary(sb)
    defer { close(host.rootFD) }
    // stdin is the host's / (the shell opens it for hull: spawn's own stdin is a file).
    sb.set("process.args", host.args(viaFD: 0))
    try sb.writeConfig()
    let viaStdin = try run(
      [
        "/bin/sh", "-c", "exec \"$0\" \"$@\" 0</", HullTestEnv.hullPath, "--root", sb.root,
        "run", "--bundle", sb.bundle, sb.newID("stdin"),
      ], outputDir: sb.dir)
    #expect(!viaStdin.stdout.contains(host.marker), "stdin a host directory took args[0] to the host: \(viaStdin)")
    #expect(viaStdin.status != 0 && viaStdin.stderr.contains("outside the container's root"), "\(viaStdin)")
    sb.set("process.args", host.args(viaFD: 3))
    let preserved = try sb.hull(
      ["run", "--preserve-fds", "1", "--bundle", sb.bundle, sb.newID("pres")], fds: [(host.rootFD, 3)])
    #expect(
      !preserved.stdout.contains(host.marker), "a preserved host directory took args[0] to the host: \(preserved)")
    #expect(preserved.status != 0 && preserved.stderr.contains("outside the container's root"), "\(preserved)")
    // The preserved fd itself is still the process's to use, and a program passed as an fd runs.
    sb.set("process.args", jsonStrings(["/bin/sh", "-c", "test -d /proc/self/fd/3/ && echo preserved-ok"]))
    let use = try sb.hull(
      ["run", "--preserve-fds", "1", "--bundle", sb.bundle, sb.newID("use")], fds: [(host.rootFD, 3)])
    #expect(use.stdout.contains("preserved-ok"), "\(use)")
    let program = open(host.path, O_RDONLY | O_CLOEXEC)
    defer { close(program) }
    sb.set("process.args", jsonStrings(["/proc/self/fd/3", "program-from-fd"]))
    let fromFD = try sb.hull(
      ["run", "--preserve-fds", "1", "--bundle", sb.bundle, sb.newID("prog")], fds: [(program, 3)])
    #expect(!fromFD.stderr.contains("outside the container's root"), "\(fromFD)")
    sb.ids.forEach { sb.expectNothingLeft($0) }
  }

  @Test("process.cwd = /proc/self/fd/N (N = 3…20) never lands outside the root under create+start")
  func cwdViaProcFdCreate() throws {
    let sb = try Sandbox("exec-path-cwd")
    defer { sb.cleanup() }
    let host = try Self.hostBinary(sb)
    defer { close(host.rootFD) }
    sb.script("pwd; ls .\(String(repeating: "/..", count: 16))\(sb.dir)/host-bin 2>&1")
    for n in Self.fdNumbers {
      sb.set("process.cwd", .string("/proc/self/fd/\(n)"))
      let started = try Self.createAndStart(sb, sb.newID("cwd\(n)"), fds: [(host.rootFD, 7)])
      #expect(
        !started.contains("echo") && !started.contains("(unreachable)"),
        "cwd /proc/self/fd/\(n) reached the host: \(started)")
    }
  }

  @Test("exec: args[0] through /proc/self/fd/N (N = 3…20) never runs a host binary, from hull's fds or the caller's")
  func args0ViaProcFdExec() throws {
    let sb = try Sandbox("exec-path-exec")
    defer { sb.cleanup() }
    let host = try Self.hostBinary(sb)
    defer { close(host.rootFD) }
    sb.set("process.args", jsonStrings(["sleep", "60"]))
    let id = sb.newID()
    let started = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    try #require(started.status == 0, "\(started)")
    let processFile = sb.dir + "/process.json"
    for n in Self.fdNumbers.map(Int32.init) {
      let args = host.args(viaFD: n).arrayValue!.compactMap(\.stringValue)
      for fds in Self.callerFDs(host) {
        let result = try sb.hull(["exec", id] + args, fds: fds, writeConfig: false)
        #expect(
          !result.stdout.contains(host.marker),
          "exec (caller fds \(fds.map(\.target))): args[0] via fd \(n) ran the host binary: \(result)")
      }
      try
        #"{"args": \#(JSON.serialize(host.args(viaFD: n))), "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}"#
        .write(toFile: processFile, atomically: true, encoding: .utf8)
      let viaFile = try sb.hull(["exec", "--process", processFile, id], fds: [(host.rootFD, 7)], writeConfig: false)
      #expect(
        !viaFile.stdout.contains(host.marker), "exec --process: args[0] via fd \(n) ran the host binary: \(viaFile)")
    }
    let preserved = try sb.hull(
      ["exec", "--preserve-fds", "1", id] + host.args(viaFD: 3).arrayValue!.compactMap(\.stringValue),
      fds: [(host.rootFD, 3)], writeConfig: false)
    #expect(
      !preserved.stdout.contains(host.marker) && preserved.stderr.contains("outside the container's root"),
      "\(preserved)")
    #expect(sb.status(id) == "running")
  }
}
