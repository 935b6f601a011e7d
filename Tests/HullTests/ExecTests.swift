// Issue 5 item 1 and the terminal of `run`: exec joins the container's namespaces and cgroups,
// returns the process's status, --detach writes the pid file; a seccomp filter applies to exec'd
// processes too; run and exec with a terminal and no --console-socket proxy the pty themselves.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("exec") struct ExecTests {
  @Test("exec runs in the container's namespaces and cgroup and returns the exit status")
  func execJoinsContainer() throws {
    let sb = try Sandbox("exec")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    let run = try sb.hull(["run", "-d", "-b", sb.bundle, id])
    #expect(run.status == 0, "\(run)")
    let initPid = try sb.pid(id)
    let probe = try sb.hull([
      "exec", id, "sh", "-c",
      "hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; grep memory /proc/self/cgroup; exit 3",
    ])
    #expect(probe.status == 3, "\(probe)")
    let lines = probe.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "hulltest", "\(probe)")
    for kind in ["pid", "mnt"] {
      let theirs = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(initPid)/ns/\(kind)")) ?? "?"
      #expect(lines.contains(theirs), "exec did not join the \(kind) namespace: \(probe)")
    }
    #expect(lines.contains { $0.hasSuffix(":" + sb.cgroupPath) }, "exec is not in the container's cgroup: \(probe)")

    let pidFile = sb.dir + "/exec.pid"
    let detached = try sb.hull(["exec", "--detach", "--pid-file", pidFile, id, "sleep", "20"])
    #expect(detached.status == 0, "\(detached)")
    let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
    #expect(Int32(text) != nil && !text.hasSuffix("\n"), "pid file \(text.debugDescription)")
    let ps = try sb.hull(["ps", "--format", "json", id])
    #expect(ps.stdout.contains(text), "\(ps)")

    let missing = try sb.hull(["exec", id, "/nonexistent"])
    #expect(missing.status != 0 && missing.stderr.contains("no such file or directory"), "\(missing)")
    _ = try sb.hull(["kill", id, "KILL"])
    #expect(sb.waitForStatus(id, "stopped"))
    let stopped = try sb.hull(["exec", id, "true"])
    #expect(stopped.status != 0 && stopped.stderr.contains("stopped"), "\(stopped)")
  }

  /// As runc: exec's own failures exit 255 (callers such as docker and containerd tell them
  /// from the process's status this way); the process's status passes through unchanged.
  @Test("exec exits 255 on its own errors and with the process's status otherwise")
  func execExitStatus() throws {
    let sb = try Sandbox("exec-status")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    let failures: [(args: [String], message: String)] = [
      (["exec", "no-such-container", "true"], "container does not exist"),
      (["exec", id, "/no/such/binary"], "no such file or directory"),
      (["exec", id, "no-such-command"], "executable file not found in $PATH"),
      (["exec", "--pid-file", sb.dir + "/no/such/dir/pid", id, "true"], "no such file or directory"),
    ]
    for failure in failures {
      let result = try sb.hull(failure.args)
      #expect(
        result.status == 255 && result.stderr.hasPrefix("hull: ") && result.stderr.contains(failure.message),
        "\(failure.args): \(result)")
    }
    for code in [0, 1, 3, 127, 255] {
      let result = try sb.hull(["exec", id, "sh", "-c", "exit \(code)"])
      #expect(result.status == Int32(code), "exit \(code): \(result)")
    }
    let killed = try sb.hull(["exec", id, "sh", "-c", "kill -9 $$"])
    #expect(killed.status == 128 + 9, "\(killed)")
    // Usage errors stay 1, as runc's.
    #expect(try sb.hull(["exec", "--no-such-flag", id, "true"]).status == 1)
    #expect(try sb.hull(["exec"]).status == 1)
    if Host.hasFreezerV1 {
      #expect(try sb.hull(["pause", id]).status == 0)
      let paused = try sb.hull(["exec", id, "true"])
      #expect(
        paused.status == 255 && paused.stderr.contains("paused") && paused.stderr.contains("--ignore-paused"),
        "\(paused)")
      #expect(try sb.hull(["resume", id]).status == 0)
    }
    #expect(try sb.hull(["delete", "--force", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  /// As runc: the init and each exec'd process without a terminal lead a session (and process
  /// group) of their own, so a ^C on the caller's terminal reaches hull, not them directly.
  @Test("the init and exec'd processes get their own session and process group")
  func execOwnProcessGroup() throws {
    let sb = try Sandbox("exec-pgrp")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    // pid, process group and session of the shell itself, then of the init.
    let result = try sb.hull([
      "exec", id, "sh", "-c",
      "read -r line < /proc/$$/stat; echo $line | cut -d' ' -f1,5,6; cut -d' ' -f1,5,6 /proc/1/stat",
    ])
    let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    #expect(result.status == 0 && lines.count == 2, "\(result)")
    for fields in lines where fields.count == 3 {
      #expect(fields[1] == fields[0] && fields[2] == fields[0], "not a session leader (pid pgrp sid): \(fields)")
    }
    #expect(try sb.hull(["delete", "--force", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  /// As runc: --ignore-paused joins the frozen cgroup and the process runs once resumed (the
  /// exec must not hold the container's lock meanwhile, or resume would wait for it).
  @Test("exec --ignore-paused runs in a paused container once it is resumed", .enabled(if: Host.hasFreezerV1))
  func execIgnorePaused() throws {
    let sb = try Sandbox("exec-paused")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    #expect(try sb.hull(["pause", id]).status == 0)
    let exec = try sb.hullSpawn(["exec", "--ignore-paused", id, "echo", "ran"], timeout: 20)
    usleep(500_000)
    #expect(processIsLive(exec.pid), "exec did not wait for the frozen process")
    let resume = try sb.hull(["resume", id], timeout: 10)
    #expect(resume.status == 0, "\(resume)")
    let result = exec.wait()
    #expect(result.status == 0 && result.stdout == "ran\n", "\(result)")
    #expect(try sb.hull(["delete", "--force", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  /// As runc: --cgroup [controllers:]path joins existing sub-cgroups of the container's.
  @Test("exec --cgroup joins a sub-cgroup, per controller or in every hierarchy; .. and missing ones are refused")
  func execSubCgroup() throws {
    let sb = try Sandbox("exec-cgroup")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    let subs = HullTestEnv.hierarchies.map { $0 + sb.cgroupPath + "/sub" }
    for dir in subs {
      #expect(mkdir(dir, 0o755) == 0, "mkdir \(dir)")
      // A v1 cpuset child starts empty: it takes no task until given cpus and mems.
      for file in ["cpuset.cpus", "cpuset.mems"] where access(dir + "/" + file, F_OK) == 0 {
        let parent = readText(dir + "/../" + file).trimmingCharacters(in: .whitespacesAndNewlines)
        try? parent.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
      }
    }
    func cgroupLines(_ args: [String]) throws -> [String] {
      let result = try sb.hull(["exec"] + args + [id, "cat", "/proc/self/cgroup"])
      #expect(result.status == 0, "\(result)")
      return result.stdout.split(separator: "\n").map(String.init)
    }
    let everywhere = try cgroupLines(["--cgroup", "sub"])
    #expect(!everywhere.isEmpty && everywhere.allSatisfy { $0.hasSuffix(sb.cgroupPath + "/sub") }, "\(everywhere)")
    let memoryOnly = try cgroupLines(["--cgroup", "memory:sub"])
    #expect(memoryOnly.contains { $0.contains(":memory:") && $0.hasSuffix("/sub") }, "\(memoryOnly)")
    #expect(memoryOnly.contains { $0.contains(":pids:") && $0.hasSuffix(sb.cgroupPath) }, "\(memoryOnly)")
    let climb = try sb.hull(["exec", "--cgroup", "../..", id, "true"])
    #expect(climb.status == 255 && climb.stderr.contains("inside the container's cgroup"), "\(climb)")
    let missing = try sb.hull(["exec", "--cgroup", "cpu:nosuch", id, "true"])
    #expect(missing.status == 255 && missing.stderr.contains("no such sub-cgroup"), "\(missing)")
    for dir in subs { rmdir(dir) }
    #expect(try sb.hull(["delete", "--force", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("the container's seccomp filter applies to exec'd processes")
  func execGetsSeccomp() throws {
    let sb = try Sandbox("exec-seccomp")
    defer { sb.cleanup() }
    sb.set(
      "linux.seccomp",
      json:
        #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#
    )
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    sb.addMount(json: #"{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}"#)
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    let result = try sb.hull(["exec", id, "sh", "-c", "mkdir /tmp/x 2>&1; grep Seccomp: /proc/self/status"])
    #expect(result.stdout.contains("Operation not permitted"), "\(result)")
    #expect(result.stdout.contains("Seccomp:\t2"), "\(result)")
  }

  @Test(
    "run and exec with a terminal and no --console-socket give the process a pty",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func ownTerminal() throws {
    let sb = try Sandbox("own-tty")
    defer { sb.cleanup() }
    sb.set("process.terminal", .bool(true))
    sb.script("tty; test -c /dev/console && echo console-ok")
    let id = sb.newID()
    try sb.writeConfig()
    let command = "\(HullTestEnv.hullPath) --root \(sb.root) run -b \(sb.bundle) \(id)"
    let run = try runUnderScript(["/usr/bin/script", "-qec", command, "/dev/null"], sb)
    #expect(run.stdout.contains("/dev/pts/") && run.stdout.contains("console-ok"), "\(run)")

    sb.set("process.terminal", .bool(false))
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id2 = sb.newID("exec")
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id2]).status == 0)
    try sb.writeConfig()
    let exec = try runUnderScript(
      [
        "/usr/bin/script", "-qec",
        "\(HullTestEnv.hullPath) --root \(sb.root) exec -t \(id2) sh -c 'tty; exit 4'; echo status=$?", "/dev/null",
      ], sb)
    #expect(exec.stdout.contains("/dev/pts/") && exec.stdout.contains("status=4"), "\(exec)")
  }

  /// As runc: exec -t leaves the container's /dev/console alone (a bind of the exec's pty went
  /// stale and failed the next exec -t), the pty belongs to the process's user (group tty from
  /// devpts), and --user UID keeps the config's gid.
  @Test(
    "exec -t twice: /dev/console untouched, the terminal owned by uid:tty, --user keeps the config's gid",
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
  func execTerminalOwnership() throws {
    let sb = try Sandbox("exec-tty")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    sb.set("process.user", json: #"{"uid": 0, "gid": 42}"#)
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    for round in 1...2 {
      let command =
        "\(HullTestEnv.hullPath) --root \(sb.root) exec -t --user 1000 \(id) sh -c "
        + "'echo ids=$(id -u):$(id -g); echo tty=$(stat -c %u:%g $(tty)); echo consoles=$(grep -c \" /dev/console \" /proc/1/mountinfo)'"
        + "; echo status=$?"
      let exec = try runUnderScript(["/usr/bin/script", "-qec", command, "/dev/null"], sb)
      let out = exec.stdout.replacingOccurrences(of: "\r", with: "")
      #expect(
        out.contains("status=0") && out.contains("ids=1000:42") && out.contains("tty=1000:5")
          && out.contains("consoles=0"),
        "round \(round): \(exec)")
    }
    #expect(try sb.hull(["delete", "--force", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  private func runUnderScript(_ argv: [String], _ sb: Sandbox) throws -> CommandResult {
    try run(argv, outputDir: sb.dir, timeout: 20)
  }
}
