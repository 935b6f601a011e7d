// Issue 14 items 3, 4 and 10: a pid file never written through a planted symlink; uid and
// gid -1 (4294967295, "unchanged" to setresuid) and anything above 2^31-1 refused by field;
// numbers from the command line range-checked (no overflow trap), --preserve-fds bounded by
// the fds that are open, and a symlinked --bundle recorded as its real path.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("input hardening") struct InputHardeningTests {
  // MARK: item 3

  @Test("--pid-file never writes through a symlink planted at its temp name or at itself (create, run -d, exec -d)")
  func pidFileSymlink() throws {
    let sb = try Sandbox("pidfile-symlink")
    defer { sb.cleanup() }
    let victim = sb.dir + "/victim"
    try "victim-data\n".write(toFile: victim, atomically: false, encoding: .utf8)
    let dir = sb.dir + "/pids"  // as /tmp: anyone may plant names here
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    chmod(dir, 0o1777)
    /// What another user plants: the temp name hull used before (P.tmp) and P itself.
    func plant(_ pidFile: String, atItself: Bool = false) {
      _ = symlink(victim, pidFile + ".tmp")
      if atItself { _ = symlink(victim, pidFile) }
    }
    func expectWritten(_ pidFile: String, _ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
      #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
      #expect(
        readText(victim) == "victim-data\n", "the victim was written through a planted symlink: \(result)",
        sourceLocation: sourceLocation)
      var st = stat()
      #expect(
        lstat(pidFile, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG, "\(pidFile) is not a regular file",
        sourceLocation: sourceLocation)
      #expect(
        Int32(readText(pidFile)) != nil, "pid file: \(readText(pidFile).debugDescription)",
        sourceLocation: sourceLocation)
    }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let created = sb.newID("created")
    plant(dir + "/create.pid")
    expectWritten(
      dir + "/create.pid", try sb.hull(["create", "--bundle", sb.bundle, "--pid-file", dir + "/create.pid", created]))

    let running = sb.newID("running")
    plant(dir + "/run.pid", atItself: true)
    expectWritten(
      dir + "/run.pid", try sb.hull(["run", "-d", "--bundle", sb.bundle, "--pid-file", dir + "/run.pid", running]))

    plant(dir + "/exec.pid")
    expectWritten(
      dir + "/exec.pid",
      try sb.hull(
        ["exec", "-d", "--pid-file", dir + "/exec.pid", running, "sleep", "5"],
        writeConfig: false))
    plant(dir + "/exec2.pid", atItself: true)
    expectWritten(
      dir + "/exec2.pid",
      try sb.hull(
        ["exec", "-d", "--pid-file", dir + "/exec2.pid", running, "sleep", "5"],
        writeConfig: false))
    // No temp file stays behind: only the pid files and the planted links.
    let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(names.allSatisfy { $0.hasSuffix(".pid") || $0.hasSuffix(".pid.tmp") }, "\(names)")
    let stateNames = try FileManager.default.contentsOfDirectory(atPath: sb.root + "/" + running)
    #expect(!stateNames.contains { $0.contains(".tmp") }, "\(stateNames)")
  }

  // MARK: item 4

  /// (JSON path, value, the field the error must name).
  static let badIDs: [(String, String, String)] = [
    ("process.user.uid", "4294967295", "process.user.uid"),
    ("process.user.gid", "4294967295", "process.user.gid"),
    ("process.user.additionalGids", "[5, 4294967295]", "process.user.additionalGids[1]"),
    ("process.user.uid", "2147483648", "process.user.uid"),
  ]

  @Test(
    "a uid, gid or additional gid above 2^31-1 (4294967295 is -1: \"unchanged\", i.e. root) is refused by field",
    arguments: badIDs)
  func idOutOfRange(_ field: String, _ value: String, _ named: String) throws {
    let sb = try Sandbox("id-range")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["id"]))
    sb.set(field, json: value)
    let id = sb.newID()
    let run = try sb.runContainer(id)
    #expect(run.status != 0 && !run.stdout.contains("uid="), "the container ran: \(run)")
    #expect(run.stderr.contains(named) && run.stderr.contains("2147483647"), "the error should name \(named): \(run)")
    sb.expectNothingLeft(id)
  }

  @Test("exec --user, --additional-gids and --process refuse ids above 2^31-1")
  func execIDOutOfRange() throws {
    let sb = try Sandbox("exec-id-range")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    try #require(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    let processFile = sb.dir + "/process.json"
    try #"{"args": ["id"], "cwd": "/", "user": {"uid": 4294967295, "gid": 0}}"#.write(
      toFile: processFile, atomically: true, encoding: .utf8)
    let attempts: [([String], String)] = [
      (["--user", "4294967295:0"], "--user"), (["--user", "0:4294967295"], "--user"),
      (["--user", "4294967295"], "--user"),
      (["--user", "1000:1000", "--additional-gids", "4294967295"], "--additional-gids"),
      (["--process", processFile], "user.uid"),
    ]
    for (flags, named) in attempts {
      let result = try sb.hull(["exec"] + flags + [id] + (flags.first == "--process" ? [] : ["id"]), writeConfig: false)
      #expect(result.status != 0 && !result.stdout.contains("uid="), "exec \(flags) ran: \(result)")
      #expect(
        result.stderr.contains(named) && result.stderr.contains("2147483647"),
        "the error should name \(named): \(result)")
    }
    let fine = try sb.hull(["exec", "--user", "2147483647:2147483647", id, "id", "-u"], writeConfig: false)
    #expect(fine.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2147483647", "\(fine)")
  }

  // MARK: item 10

  @Test("numbers on the command line are range-checked: no overflow trap, a message naming the flag")
  func commandLineNumbers() throws {
    let sb = try Sandbox("cli-numbers")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    try #require(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    let attempts: [([String], String)] = [
      (["kill", id, "RTMIN+2147483647"], "unknown signal"), (["kill", id, "RTMIN+31"], "unknown signal"),
      (["kill", id, "SIGRTMIN+99999999999999999999"], "unknown signal"),
      (["events", "--interval", "9999999999999999h", id], "--interval"),
      (["exec", "--user", ":", id, "true"], "--user"),
      (["exec", "--user", "99999999999999999999", id, "true"], "--user"),
      (["update", "--cpu-shares", "99999999999999999999", id], "--cpu-shares"),
      (["update", "--memory", "99999999999999999999p", id], "--memory"),
      (["exec", "--preserve-fds", "2147483647", id, "true"], "--preserve-fds"),
      (["run", "--preserve-fds", "2147483647", "--bundle", sb.bundle, sb.newID("p1")], "--preserve-fds"),
      (["run", "--preserve-fds", "100000000", "--bundle", sb.bundle, sb.newID("p2")], "--preserve-fds"),
      (["create", "--preserve-fds", "-1", "--bundle", sb.bundle, sb.newID("p3")], "--preserve-fds"),
    ]
    for (args, named) in attempts {
      let started = Date()
      let result = try sb.hull(args, timeout: 10, writeConfig: false)
      // exec's own errors exit 255, as runc's (the exec'd process's status is passed through otherwise).
      let expected: Int32 = args.first == "exec" ? 255 : 1
      #expect(result.status == expected && result.stderr.contains(named), "\(result)")
      #expect(Date().timeIntervalSince(started) < 5, "took \(Date().timeIntervalSince(started)) s: \(result)")
    }
    #expect(sb.status(id) == "running")
    // An empty --user leaves the process's user as it is (runc's reading).
    let emptyUser = try sb.hull(["exec", "--user", "", id, "id", "-u"], writeConfig: false)
    #expect(emptyUser.status == 0 && emptyUser.stdout == "0\n", "\(emptyUser)")
    _ = try sb.hull(["delete", "--force", id], writeConfig: false)
    sb.ids.forEach { sb.expectNothingLeft($0) }
  }

  @Test("--preserve-fds N needs fds 3…3+N-1 open in the caller, and passes exactly those")
  func preserveFdsMustBeOpen() throws {
    let sb = try Sandbox("preserve-fds")
    defer { sb.cleanup() }
    let file = sb.dir + "/preserved"
    try "preserved\n".write(toFile: file, atomically: false, encoding: .utf8)
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    defer { close(fd) }
    sb.script("ls /proc/self/fd | tr '\\n' ' '; cat <&3")
    let missing = sb.newID("missing")
    let refused = try sb.hull(["run", "--preserve-fds", "2", "--bundle", sb.bundle, missing], fds: [(fd, 3)])
    #expect(refused.status != 0 && refused.stderr.contains("--preserve-fds 2: fd 4 is not open"), "\(refused)")
    sb.expectNothingLeft(missing)
    let passed = try sb.hull(["run", "--preserve-fds", "1", "--bundle", sb.bundle, sb.newID("ok")], fds: [(fd, 3)])
    #expect(passed.status == 0 && passed.stdout.contains("preserved"), "\(passed)")
    // 3 is the only fd above stdio (4 is ls's own, for the listing).
    #expect(passed.stdout == "0 1 2 3 4 preserved\n", "\(passed)")
  }

  @Test("a --bundle that is a symlink is recorded as its real path: re-pointing it does not change what exec runs")
  func bundleSymlinkCanonical() throws {
    let sb = try Sandbox("bundle-symlink")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    sb.set("process.env", jsonStrings(["PATH=/bin", "MARK=real-bundle"]))
    try sb.writeConfig()
    let other = sb.dir + "/other-bundle"
    try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
    let evil = JSON.serialize(sb.config.setting("process.env", jsonStrings(["PATH=/bin", "MARK=re-pointed"])))
    try evil.write(toFile: other + "/config.json", atomically: true, encoding: .utf8)
    let link = sb.dir + "/bundle-link"
    #expect(symlink(sb.bundle, link) == 0)
    let id = sb.newID()
    let run = try sb.hull(["run", "-d", "--bundle", link, id], writeConfig: false)
    try #require(run.status == 0, "\(run)")
    #expect(try sb.state(id)["bundle"]?.stringValue == sb.bundle)
    unlink(link)
    #expect(symlink(other, link) == 0)
    let exec = try sb.hull(["exec", id, "sh", "-c", "echo $MARK"], writeConfig: false)
    #expect(exec.stdout == "real-bundle\n", "\(exec)")
  }
}
