// Issue 21: hull's checkpoint/restore proven with real CRIU round trips, and the same steps with runc in the
// same test. They need a kernel `criu check` passes on: the v2 group of scripts/test runs this suite in
// `drydock vm --cgroup v2` (Debian's 6.1 kernel); on this host's 6.18 kernel the tests are disabled with
// CRIU's own error.
//
// Where runc 1.1.5 and hull differ (both measured in the VM; see also CheckpointRestore.swift):
// - restored under another cgroupsPath (a second bundle), hull's restored init is in that new cgroup (criu
//   --cgroup-root); runc makes the new cgroup but CRIU puts the init back in the checkpointed one (runc passes
//   no cgroup root on v2), so runc's state and the process disagree;
// - the terminal: runc gets the restored pty's master from CRIU (orphan-pts-master, RPC only) and the pty stays
//   in the container's devpts; hull (CRIU's command line) dumps the terminal as external and restores it onto a
//   new pty of the host's devpts whose master goes to --console-socket (as LXC does).
import Foundation
import Glibc
import LinuxKit
import OCISpec
import Testing

/// The runtime a round trip drives: hull (the one built) or runc, each with a state root of its own.
struct CheckpointRuntime: CustomStringConvertible {
  let name: String
  let argv: [String]
  /// hull: a container restored from another bundle lives in that bundle's cgroupsPath; runc 1.1.5: in the old one.
  let restoresIntoNewCgroup: Bool
  var description: String { name }

  static func hull(_ sb: Sandbox) -> CheckpointRuntime {
    CheckpointRuntime(name: "hull", argv: [HullTestEnv.hullPath, "--root", sb.root], restoresIntoNewCgroup: true)
  }

  static let runcPath: String? = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"].first {
    access($0, X_OK) == 0
  }

  static func runc(_ sb: Sandbox) throws -> CheckpointRuntime {
    let path = try #require(runcPath, "runc is not installed (scripts/setup installs it)")
    return CheckpointRuntime(
      name: "runc", argv: [path, "--root", sb.dir + "/runc-state"], restoresIntoNewCgroup: false)
  }

  func call(_ args: [String], _ sb: Sandbox, timeout: Double = 240) throws -> CommandResult {
    try run(argv + args, outputDir: sb.dir, timeout: timeout)
  }

  func status(_ id: String, _ sb: Sandbox) -> String? {
    guard let result = try? call(["state", id], sb, timeout: 30), result.status == 0 else { return nil }
    return (try? JSON.parse(result.stdout))?["status"]?.stringValue
  }

  func pid(_ id: String, _ sb: Sandbox) -> Int32? {
    guard let result = try? call(["state", id], sb, timeout: 30), result.status == 0 else { return nil }
    return (try? JSON.parse(result.stdout))?["pid"]?.int64Value.map { Int32($0) }
  }

  /// kill and delete --force, for the test's exit.
  func remove(_ ids: [String], _ sb: Sandbox) {
    for id in ids { _ = try? call(["delete", "--force", id], sb, timeout: 30) }
  }
}

@Suite("checkpoint and restore: CRIU round trips, hull then runc", .serialized)
struct CheckpointRoundTripTests {
  /// A bundle of the sandbox's config for `runtime`: its own cgroupsPath, the sandbox's rootfs, /tmp shared.
  static func bundle(_ sb: Sandbox, _ name: String, cgroup: String, args: [String], terminal: Bool = false) throws
    -> String
  {
    let dir = sb.dir + "/" + name
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var config = sb.config
    config = config.setting("linux.cgroupsPath", .string(cgroup))
    config = config.setting("root.path", .string(sb.rootfs))
    config = config.setting("process.args", .array(args.map { .string($0) }))
    config = config.setting("process.terminal", .bool(terminal))
    try JSON.serialize(config, pretty: true).write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
    return dir
  }

  static func number(_ path: String) -> Int {
    Int(readText(path).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
  }

  /// Polls `path` until its number differs from `old` (`seconds` at most); the new number, or `old`.
  static func nextNumber(_ path: String, after old: Int, seconds: Double) -> Int {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let now = number(path)
      if now != old && now != -1 { return now }
      usleep(20_000)
    }
    return number(path)
  }

  static func cgroupLines(_ pid: Int32) -> String { readText("/proc/\(pid)/cgroup") }

  @Test(
    "a counter keeps its in-memory state through pre-dump, leave-running, a dump with --parent-path, and a restore into another id and cgroupsPath",
    .enabled(if: CRIU.works, CRIU.disabledReason), .timeLimit(.minutes(15)))
  func counterRoundTrip() throws {
    let sb = try Sandbox("criu-rt")
    defer { sb.cleanup() }
    sb.shareTmp()
    for runtime in [CheckpointRuntime.hull(sb), try CheckpointRuntime.runc(sb)] {
      try counterRoundTrip(runtime, sb)
    }
  }

  func counterRoundTrip(_ runtime: CheckpointRuntime, _ sb: Sandbox) throws {
    let r = runtime.name
    let count = sb.shared + "/\(r)-count"
    let starts = sb.shared + "/\(r)-starts"
    // The count lives in the shell's memory (the file only shows it) and starts at the start time × 1000: a shell
    // started again would jump by thousands, one that goes on adds at most 10 a second. stdio of its own: the
    // test's files are outside every mount of the container, which CRIU cannot dump.
    let script =
      "exec </dev/null >/dev/null 2>&1; echo start >> /tmp/\(r)-starts; i=$(date +%s)000; while :; do i=$((i+1)); "
      + "echo $i > /tmp/\(r)-count.new; mv /tmp/\(r)-count.new /tmp/\(r)-count; sleep 0.1; done"
    let first = try Self.bundle(sb, "\(r)-b1", cgroup: sb.cgroupPath + "/\(r)-1", args: ["/bin/sh", "-c", script])
    let second = try Self.bundle(sb, "\(r)-b2", cgroup: sb.cgroupPath + "/\(r)-2", args: ["/bin/sh", "-c", script])
    let d = sb.dir + "/\(r)-images"
    let (c1, c2) = ("\(sb.name)-\(r)-c1", "\(sb.name)-\(r)-c2")
    defer { runtime.remove([c1, c2], sb) }

    let started = try runtime.call(["run", "-d", "--bundle", first, c1], sb)
    try #require(started.status == 0, "\(r): \(started)")
    try #require(Self.nextNumber(count, after: -1, seconds: 20) > 0, "\(r): the counter did not start")

    // 1. Pre-dump: memory only, the container runs on.
    let pre = try runtime.call(["checkpoint", "--pre-dump", "--image-path", d + "/parent", c1], sb)
    try #require(pre.status == 0, "\(r) pre-dump: \(pre)")
    #expect(runtime.status(c1, sb) == "running", "\(r): not running after the pre-dump")
    var seen = Self.number(count)
    #expect(Self.nextNumber(count, after: seen, seconds: 5) > seen, "\(r): the counter stopped after the pre-dump")

    // 2. A full dump that leaves it running, with the log in --work-path.
    let leave = try runtime.call(
      [
        "checkpoint", "--leave-running", "--image-path", d + "/lr", "--work-path", d + "/lrwork",
        "--tcp-established", "--file-locks", "--manage-cgroups-mode", "soft", c1,
      ], sb)
    try #require(leave.status == 0, "\(r) --leave-running: \(leave)")
    #expect(runtime.status(c1, sb) == "running", "\(r): not running after --leave-running")
    seen = Self.number(count)
    #expect(Self.nextNumber(count, after: seen, seconds: 5) > seen, "\(r): the counter stopped after --leave-running")
    #expect(
      readText(d + "/lrwork/dump.log").contains("Dumping finished successfully"), "\(r): no dump.log in --work-path")
    #expect(FileManager.default.fileExists(atPath: d + "/lr/inventory.img"), "\(r): no images in --image-path")

    // 3. The final dump on top of the pre-dump: the container stops and is gone (runc destroys it).
    let dump = try runtime.call(
      [
        "checkpoint", "--parent-path", "../parent", "--image-path", d + "/img", "--work-path", d + "/work",
        "--tcp-established", "--file-locks", "--manage-cgroups-mode", "soft", c1,
      ], sb)
    try #require(dump.status == 0, "\(r) dump: \(dump)")
    let atDump = Self.number(count)
    let dumped = Date()
    #expect(runtime.status(c1, sb) == nil, "\(r): the checkpointed container still exists")
    #expect(Self.nextNumber(count, after: atDump, seconds: 0.5) == atDump, "\(r): the counter went on after the dump")
    #expect(
      FileManager.default.fileExists(atPath: d + "/img/parent/inventory.img"),
      "\(r): the dump is not linked to its parent")
    #expect(
      sb.existingCgroupDirs(sb.cgroupPath + "/\(r)-1").isEmpty, "\(r): the checkpointed container's cgroup is left")

    // 4. Restore under another id from another bundle (another cgroupsPath), detached, with a pid file.
    let pidFile = d + "/c2.pid"
    let restore = try runtime.call(
      [
        "restore", "-d", "--bundle", second, "--image-path", d + "/img", "--work-path", d + "/rwork",
        "--pid-file", pidFile, "--tcp-established", "--file-locks", "--manage-cgroups-mode", "soft", c2,
      ], sb)
    try #require(restore.status == 0, "\(r) restore: \(restore)")
    #expect(runtime.status(c2, sb) == "running", "\(r): the restored container is not running")
    let pid = try #require(runtime.pid(c2, sb), "\(r): no pid for the restored container")
    #expect(
      Int32(readText(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)) == pid,
      "\(r): pid file \(readText(pidFile))")
    // State intact: the same shell goes on from the dump's value (it started once), 10 a second at most since.
    let next = Self.nextNumber(count, after: atDump, seconds: 20)
    let bound = atDump + Int(Date().timeIntervalSince(dumped) * 10) + 10
    #expect(
      next > atDump && next <= bound,
      "\(r): after the restore the counter went from \(atDump) to \(next) (at most \(bound))")
    #expect(readText(starts).split(separator: "\n").count == 1, "\(r): the shell started again: \(readText(starts))")
    let groups = Self.cgroupLines(pid)
    if runtime.restoresIntoNewCgroup {
      #expect(groups.contains(sb.cgroupPath + "/\(r)-2\n"), "\(r): restored init's cgroups: \(groups)")
    } else {
      // runc 1.1.5: the init is back in the checkpointed cgroup (see the header); recorded, not required.
      print("\(r): restored init's cgroups (expected \(sb.cgroupPath)/\(r)-2): \(groups)")
    }

    #expect(try runtime.call(["kill", c2, "KILL"], sb).status == 0)
    let deadline = Date().addingTimeInterval(10)
    while runtime.status(c2, sb) != "stopped" && Date() < deadline { usleep(50_000) }
    let deleted = try runtime.call(["delete", c2], sb)
    #expect(deleted.status == 0, "\(r): \(deleted)")
    #expect(runtime.status(c2, sb) == nil)

    // 5. The --leave-running images once more, in the foreground: restore waits for the container, removes it
    // and exits with its status (killed by SIGKILL: 137).
    let c3 = "\(sb.name)-\(r)-c3"
    defer { runtime.remove([c3], sb) }
    let foreground = try spawn(
      runtime.argv + ["restore", "--bundle", second, "--image-path", d + "/lr", c3], outputDir: sb.dir,
      timeout: 240)
    let running = Date().addingTimeInterval(200)
    while runtime.status(c3, sb) != "running" && Date() < running && foreground.isRunning { usleep(100_000) }
    #expect(runtime.status(c3, sb) == "running", "\(r): the foreground restore did not bring \(c3) up")
    // "running" is saved from CRIU's post-restore callback, while criu is still the restored init's parent:
    // killed then, the init's exit goes to criu, and runc (which waits as the child subreaper it becomes the
    // parent of once criu exits) waits forever (seen once in CI under TCG: runc's restore hung 240 s).
    // So the kill waits until criu has let go of the init.
    if let pid = runtime.pid(c3, sb) {
      let released = Date().addingTimeInterval(60)
      while Self.parentCommand(of: pid) == "criu" && Date() < released { usleep(100_000) }
      #expect(Self.parentCommand(of: pid) != "criu", "\(r): criu still holds the restored init after 60 s")
    }
    #expect(try runtime.call(["kill", c3, "KILL"], sb).status == 0)
    let ended = foreground.wait()
    #expect(ended.status == 137, "\(r): foreground restore: \(ended)")
    #expect(runtime.status(c3, sb) == nil, "\(r): the foreground restore left \(c3) behind")
  }

  /// The command name of `pid`'s parent ("" when either is gone).
  static func parentCommand(of pid: Int32) -> String {
    guard let ppid = ProcFS.parentPid(of: pid) else { return "" }
    return readText("/proc/\(ppid)/comm").trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test(
    "a terminal container is restored onto a pty whose master arrives on --console-socket, and goes on counting",
    .enabled(if: CRIU.works, CRIU.disabledReason), .timeLimit(.minutes(10)))
  func terminalRoundTrip() throws {
    let sb = try Sandbox("criu-tty")
    defer { sb.cleanup() }
    for runtime in [CheckpointRuntime.hull(sb), try CheckpointRuntime.runc(sb)] {
      try terminalRoundTrip(runtime, sb)
    }
  }

  func terminalRoundTrip(_ runtime: CheckpointRuntime, _ sb: Sandbox) throws {
    let r = runtime.name
    let bundle = try Self.bundle(
      sb, "\(r)-tty", cgroup: sb.cgroupPath + "/\(r)-tty",
      args: ["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"],
      terminal: true)
    let (t1, t2) = ("\(sb.name)-\(r)-t1", "\(sb.name)-\(r)-t2")
    defer { runtime.remove([t1, t2], sb) }

    let first = try ConsoleListener(sb.dir + "/\(r)-1.sock")
    let started = try runtime.call(["run", "-d", "--console-socket", first.path, "--bundle", bundle, t1], sb)
    try #require(started.status == 0, "\(r): \(started)")
    let master1 = try first.receiveMaster()
    defer { close(master1) }
    var output = ConsoleListener.read(master1, until: "tick 5\r\n", seconds: 20)
    try #require(output.contains("tick 5"), "\(r): the terminal said \(output.debugDescription)")

    let dump = try runtime.call(["checkpoint", "--image-path", sb.dir + "/\(r)-tty-images", t1], sb)
    try #require(dump.status == 0, "\(r): \(dump)")
    output += ConsoleListener.read(master1, until: nil, seconds: 0.3)
    let last = try #require(ConsoleListener.ticks(output).last, "\(r): no tick before the dump")

    let second = try ConsoleListener(sb.dir + "/\(r)-2.sock")
    let restore = try runtime.call(
      [
        "restore", "-d", "--console-socket", second.path, "--bundle", bundle,
        "--image-path", sb.dir + "/\(r)-tty-images", t2,
      ], sb)
    try #require(restore.status == 0, "\(r): \(restore)")
    let master2 = try second.receiveMaster()
    defer { close(master2) }
    let after = ConsoleListener.read(master2, until: "tick \(last + 3)\r\n", seconds: 30)
    // The same shell, on the new terminal: its next tick follows the last one before the dump.
    #expect(
      ConsoleListener.ticks(after).first == last + 1,
      "\(r): before the dump up to \(last), after: \(after.debugDescription)")
    let pid = try #require(runtime.pid(t2, sb), "\(r): no pid for the restored container")
    var st = stat()
    #expect(
      stat("/proc/\(pid)/fd/1", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
        && (UInt64(st.st_rdev) >> 8) & 0xfff >= 136,
      "\(r): the restored process's stdout is not a pty")
    let fields = readText("/proc/\(pid)/stat").split(separator: ")").last?.split(separator: " ") ?? []
    #expect(fields.count > 4 && fields[4] != "0", "\(r): the restored process has no controlling terminal")
    #expect(try runtime.call(["delete", "--force", t2], sb).status == 0)
  }
}

/// A --console-socket listener: accepts one connection and takes the pty master sent on it.
final class ConsoleListener {
  let path: String
  let fd: Int32

  init(_ path: String) throws {
    self.path = path
    fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (i, b) in Array(path.utf8).enumerated() { buffer[i] = b }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, listen(fd, 1) == 0 else {
      throw TestFailure("listen on \(path): \(String(cString: strerror(errno)))")
    }
  }

  deinit { close(fd) }

  func receiveMaster() throws -> Int32 {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&pfd, 1, 10_000) == 1 else { throw TestFailure("nobody connected to \(path)") }
    let connection = UnixSocket.accept(fd)
    guard connection >= 0 else { throw TestFailure("accept on \(path): \(String(cString: strerror(errno)))") }
    defer { close(connection) }
    guard let received = UnixSocket.receiveFD(connection) else { throw TestFailure("no fd arrived on \(path)") }
    return received.fd
  }

  /// What the terminal says until `marker` appears (or `seconds` pass).
  static func read(_ master: Int32, until marker: String?, seconds: Double) -> String {
    var text = ""
    let deadline = Date().addingTimeInterval(seconds)
    var buffer = [UInt8](repeating: 0, count: 4096)
    while Date() < deadline {
      var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      guard poll(&pfd, 1, 100) == 1, pfd.revents & Int16(POLLIN) != 0 else { continue }
      let n = Glibc.read(master, &buffer, buffer.count)
      if n <= 0 { break }
      text += String(decoding: buffer[0..<n], as: UTF8.self)
      if let marker, text.contains(marker) { break }
    }
    return text
  }

  static func ticks(_ text: String) -> [Int] {
    text.split(whereSeparator: \.isNewline).compactMap { line in  // "\r\n" is one Character
      line.hasPrefix("tick ") ? Int(line.dropFirst(5)) : nil
    }
  }
}
