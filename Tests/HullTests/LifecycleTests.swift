// Issue 2 item 4 (lifecycle, runtime.md) and the lifecycle commands of item 3.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("lifecycle") struct LifecycleTests {
  @Test("create blocks the init until start; pid file; created → running → stopped")
  func createStartKillDelete() throws {
    let sb = try Sandbox("lifecycle")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("echo started > /tmp/marker; exec sleep 30")
    let id = sb.newID()
    let pidFile = sb.dir + "/container.pid"
    try sb.create(id, extra: ["--pid-file", pidFile])

    // pid file: the host pid in decimal, no newline; the process exists and is blocked.
    let pidText = readText(pidFile)
    #expect(!pidText.contains("\n"))
    let pid = try #require(Int32(pidText), "pid file holds \(pidText.debugDescription)")
    #expect(try sb.pid(id) == pid)
    #expect(kill(pid, 0) == 0, "the init \(pid) should exist after create")
    #expect(sb.status(id) == "created")
    usleep(200_000)
    #expect(access(sb.shared + "/marker", F_OK) != 0, "the user command ran before start")

    let start = try sb.hull(["start", id])
    #expect(start.status == 0, "\(start)")
    #expect(sb.waitForFile(sb.shared + "/marker") == "started\n")
    #expect(sb.status(id) == "running")
    #expect(try sb.pid(id) == pid)

    // A second start is refused.
    let again = try sb.hull(["start", id])
    #expect(again.status != 0)
    #expect(again.stderr.hasPrefix("hull: "), "\(again)")

    let kill = try sb.hull(["kill", id, "KILL"])
    #expect(kill.status == 0, "\(kill)")
    #expect(sb.waitForStatus(id, "stopped"))

    let killStopped = try sb.hull(["kill", id, "TERM"])
    #expect(killStopped.status != 0)
    #expect(killStopped.stderr.contains("container not running"), "\(killStopped)")

    let startStopped = try sb.hull(["start", id])
    #expect(startStopped.status != 0, "\(startStopped)")

    let delete = try sb.hull(["delete", id])
    #expect(delete.status == 0, "\(delete)")
    sb.expectNothingLeft(id)
    let gone = try sb.hull(["state", id])
    #expect(gone.status != 0)
    #expect(gone.stderr.contains("container does not exist"), "\(gone)")
  }

  @Test("signals by name, SIG-name and number")
  func killSignalSpellings() throws {
    let sb = try Sandbox("signals")
    defer { sb.cleanup() }
    sb.shareTmp()
    // The shell reports each signal it traps; SIGKILL ends it.
    sb.script(
      "trap 'echo usr1 >> /tmp/log' USR1; trap 'echo hup >> /tmp/log' HUP; echo ready > /tmp/ready; while true; do sleep 0.05; done"
    )
    let id = sb.newID()
    try sb.hull(["run", "--detach", "--bundle", sb.bundle, id])
    #expect(sb.waitForFile(sb.shared + "/ready") != nil)
    #expect(try sb.hull(["kill", id, "USR1"]).status == 0)
    _ = sb.waitForFile(sb.shared + "/log")
    #expect(try sb.hull(["kill", id, "SIGHUP"]).status == 0)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline && !readText(sb.shared + "/log").contains("hup") { usleep(20_000) }
    #expect(readText(sb.shared + "/log") == "usr1\nhup\n")
    let bad = try sb.hull(["kill", id, "NOSUCHSIG"])
    #expect(bad.status != 0 && bad.stderr.contains("unknown signal"), "\(bad)")
    #expect(try sb.hull(["kill", id, "9"]).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
  }

  /// As runc: signal 0 checks that the container's init is alive (exit 0 while it runs, 1 once
  /// it stopped); `kill --all` on a stopped container has nothing to do and exits 0.
  @Test("kill ID 0 is a liveness check; kill --all on a stopped container exits 0")
  func killZeroAndAllStopped() throws {
    let sb = try Sandbox("kill-zero")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "--detach", "--bundle", sb.bundle, id]).status == 0)
    let alive = try sb.hull(["kill", id, "0"], writeConfig: false)
    #expect(alive.status == 0 && alive.stderr.isEmpty, "\(alive)")
    #expect(try sb.hull(["kill", "--all", id, "0"], writeConfig: false).status == 0)
    #expect(sb.status(id) == "running")
    #expect(try sb.hull(["kill", id, "KILL"], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
    let dead = try sb.hull(["kill", id, "0"], writeConfig: false)
    #expect(dead.status == 1 && dead.stderr.contains("container not running"), "\(dead)")
    #expect(try sb.hull(["kill", id, "KILL"], writeConfig: false).status == 1)
    let all = try sb.hull(["kill", "-a", id, "KILL"], writeConfig: false)
    #expect(all.status == 0 && all.stderr.isEmpty, "\(all)")
    #expect(try sb.hull(["kill", "--all", id, "0"], writeConfig: false).status == 0)
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("delete of a running container is refused without --force, and works with it")
  func deleteRunning() throws {
    let sb = try Sandbox("delete-running")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    let run = try sb.hull(["run", "--detach", "--bundle", sb.bundle, id])
    #expect(run.status == 0, "\(run)")
    #expect(sb.status(id) == "running")
    let pid = try sb.pid(id)

    let refused = try sb.hull(["delete", id])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("not stopped"), "\(refused)")
    #expect(sb.status(id) == "running")
    #expect(kill(pid, 0) == 0)

    let forced = try sb.hull(["delete", "--force", id])
    #expect(forced.status == 0, "\(forced)")
    sb.expectNothingLeft(id)
    #expect(!processIsLive(pid), "the init \(pid) survived delete --force")
  }

  @Test("delete --force of a created (never started) container")
  func deleteCreated() throws {
    let sb = try Sandbox("delete-created")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    let refused = try sb.hull(["delete", id])
    #expect(refused.status != 0, "\(refused)")
    #expect(try sb.hull(["delete", "-f", id]).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("a 255-byte id works end to end (its exec socket path is longer than sun_path)")
  func longestID() throws {
    let sb = try Sandbox("long-id")
    defer { sb.cleanup() }
    sb.script("echo long-id-ran")
    let id = String(repeating: "x", count: 255)
    let registered = sb.newID()  // cleanup of the sandbox's default id is harmless
    _ = registered
    let create = try sb.hull(["create", "--bundle", sb.bundle, id])
    defer { _ = try? sb.hull(["delete", "--force", id], writeConfig: false) }
    #expect(create.status == 0, "\(create)")
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
    #expect(readText(create.stdoutPath) == "long-id-ran\n")
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("a created container can be killed before start")
  func killCreated() throws {
    let sb = try Sandbox("kill-created")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("echo ran > /tmp/marker")
    let id = sb.newID()
    try sb.create(id)
    let kill = try sb.hull(["kill", id, "KILL"], writeConfig: false)
    #expect(kill.status == 0, "\(kill)")
    #expect(sb.waitForStatus(id, "stopped"))
    let start = try sb.hull(["start", id], writeConfig: false)
    #expect(start.status != 0, "\(start)")
    #expect(access(sb.shared + "/marker", F_OK) != 0)
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("unknown ids: errors say container does not exist; delete --force exits 0")
  func unknownIDs() throws {
    let sb = try Sandbox("unknown")
    defer { sb.cleanup() }
    for command in [["state"], ["start"], ["kill"], ["delete"], ["pause"], ["resume"], ["ps"]] {
      let result = try sb.hull(command + ["no-such-container"], writeConfig: false)
      #expect(result.status != 0, "\(result)")
      #expect(result.stderr.contains("container does not exist"), "\(result)")
    }
    let forced = try sb.hull(["delete", "--force", "no-such-container"], writeConfig: false)
    #expect(forced.status == 0, "\(forced)")
    #expect(forced.stderr.isEmpty, "\(forced)")
  }

  @Test("run returns the container's exit status, passes output through and removes the container")
  func runExitStatus() throws {
    let sb = try Sandbox("run-status")
    defer { sb.cleanup() }
    sb.script("echo out-line; echo err-line >&2; exit 7")
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status == 7, "\(result)")
    #expect(result.stdout == "out-line\n")
    #expect(result.stderr.contains("err-line"))
    sb.expectNothingLeft(id)

    // Killed by a signal from outside: 128 + 9.
    sb.script("echo ready > /tmp/ready; exec sleep 30")
    sb.shareTmp()
    let killedID = sb.newID("k")
    let killedRun = try sb.hullSpawn(["run", "--bundle", sb.bundle, killedID])
    #expect(sb.waitForFile(sb.shared + "/ready") != nil)
    #expect(try sb.hull(["kill", killedID, "KILL"], writeConfig: false).status == 0)
    let killed = killedRun.wait()
    #expect(killed.status == 128 + 9, "\(killed)")
    sb.expectNothingLeft(killedID)

    sb.set("process.args", jsonStrings(["/bin/true"]))
    #expect(try sb.runContainer(sb.newID("t")).status == 0)
  }

  @Test("run forwards signals to the container and exits with its status")
  func runForwardsSignals() throws {
    let sb = try Sandbox("run-signals")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("trap 'echo got-term; exit 3' TERM; echo ready > /tmp/ready; while true; do sleep 0.05; done")
    let id = sb.newID()
    let running = try sb.hullSpawn(["run", "--bundle", sb.bundle, id])
    #expect(sb.waitForFile(sb.shared + "/ready") != nil)
    kill(running.pid, SIGTERM)
    let result = running.wait()
    #expect(result.status == 3, "\(result)")
    #expect(result.stdout.contains("got-term"))
    sb.expectNothingLeft(id)
  }

  @Test("run --detach, list --format json and --quiet")
  func detachAndList() throws {
    let sb = try Sandbox("list")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    let started = Date()
    let run = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    #expect(run.status == 0, "\(run)")
    #expect(Date().timeIntervalSince(started) < 10)
    #expect(sb.status(id) == "running")

    let quiet = try sb.hull(["list", "--quiet"], writeConfig: false)
    #expect(quiet.status == 0 && quiet.stdout == id + "\n", "\(quiet)")
    let json = try sb.hull(["list", "--format", "json"], writeConfig: false)
    #expect(json.status == 0, "\(json)")
    let list = try JSON.parse(json.stdout)
    let entries = try #require(list.arrayValue)
    #expect(entries.count == 1)
    #expect(entries.first?["id"]?.stringValue == id)
    #expect(entries.first?["status"]?.stringValue == "running")
    #expect(entries.first?["pid"]?.int64Value == Int64(try sb.pid(id)))
    let table = try sb.hull(["list"], writeConfig: false)
    #expect(table.stdout.hasPrefix("ID"), "\(table)")
    #expect(table.stdout.contains(id))
    let empty = try sb.hull(
      ["list", "--format", "json"], writeConfig: false, rootFlag: ["--root", sb.dir + "/empty-root"])
    #expect(empty.status == 0 && (try? JSON.parse(empty.stdout)) == .array([]), "\(empty)")
  }

  @Test("state JSON has ociVersion, id, status, pid, bundle, rootfs, created, owner, annotations")
  func stateJSON() throws {
    let sb = try Sandbox("state-json")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    sb.set("annotations", json: #"{"org.example.key":"value"}"#)
    let id = sb.newID()
    try sb.create(id)
    let state = try sb.state(id)
    #expect(state["ociVersion"]?.stringValue == "1.0.2")
    #expect(state["id"]?.stringValue == id)
    #expect(state["status"]?.stringValue == "created")
    #expect((state["pid"]?.int64Value ?? 0) > 0)
    #expect(state["bundle"]?.stringValue == sb.bundle)
    #expect(state["rootfs"]?.stringValue == sb.rootfs)
    #expect(state["owner"]?.stringValue == "root")
    #expect(state["annotations"]?["org.example.key"]?.stringValue == "value")
    let created = state["created"]?.stringValue ?? ""
    // RFC 3339: 2026-01-02T03:04:05.123Z
    #expect(
      created.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#, options: .regularExpression)
        != nil,
      "created = \(created)")
  }

  @Test("a stopped container stays stopped, even when its pid is reused by another process")
  func pidReuse() throws {
    let sb = try Sandbox("pid-reuse")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["/bin/true"]))
    let id = sb.newID()
    try sb.create(id)
    #expect(try sb.hull(["start", id]).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
    for _ in 0..<3 { #expect(sb.status(id) == "stopped") }

    // Pretend the pid was reused: point state.json at a live process of ours.
    let other = try spawn(["/bin/sleep", "30"], outputDir: sb.dir)
    defer {
      kill(other.pid, SIGKILL)
      _ = other.wait()
    }
    let file = sb.root + "/" + id + "/state.json"
    let record = try JSON.parse(readText(file))
    #expect(record["pid"] != nil, "state.json has no pid: \(readText(file))")
    try JSON.serialize(record.setting("pid", .int(Int64(other.pid)))).write(
      toFile: file, atomically: true, encoding: .utf8)

    #expect(sb.status(id) == "stopped", "a process reusing the pid made the container look alive")
    let killResult = try sb.hull(["kill", id, "KILL"])
    #expect(killResult.status != 0)
    #expect(killResult.stderr.contains("container not running"), "\(killResult)")
    #expect(try sb.hull(["delete", id]).status == 0)
    #expect(other.isRunning, "hull signalled a process that merely reused the container's pid")
    sb.expectNothingLeft(id)
  }

  @Test("spec writes a config.json that run accepts; a second spec refuses to overwrite")
  func specThenRun() throws {
    let sb = try Sandbox("spec")
    defer { sb.cleanup() }
    let result = try sb.hull(["spec", "--bundle", sb.bundle], writeConfig: false)
    #expect(result.status == 0, "\(result)")
    var config = try JSON.parse(readText(sb.bundle + "/config.json"))
    #expect(config["ociVersion"]?.stringValue?.hasPrefix("1.") == true)
    #expect(config["root"]?["path"]?.stringValue == "rootfs")
    let again = try sb.hull(["spec", "--bundle", sb.bundle], writeConfig: false)
    #expect(again.status != 0 && again.stderr.contains("exists"), "\(again)")

    // Only what a test must change: no terminal, a command that prints, our own cgroup.
    config = config.setting("process.terminal", .bool(false))
      .setting("process.args", jsonStrings(["/bin/sh", "-c", "echo from-spec-bundle"]))
      .setting("linux.cgroupsPath", .string(sb.cgroupPath))
    try sb.writeConfig(JSON.serialize(config, pretty: true))
    let run = try sb.hull(["run", "--bundle", sb.bundle, sb.newID()], writeConfig: false)
    #expect(run.status == 0, "\(run)")
    #expect(run.stdout == "from-spec-bundle\n")

    let rootless = try sb.hull(["spec", "--rootless", "--bundle", sb.dir], writeConfig: false)
    #expect(rootless.status == 0, "\(rootless)")
    let rootlessConfig = try JSON.parse(readText(sb.dir + "/config.json"))
    let kinds = rootlessConfig["linux"]?["namespaces"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
    #expect(kinds.contains("user"))
    #expect(rootlessConfig["linux"]?["uidMappings"]?.arrayValue?.isEmpty == false)
  }

  @Test("features prints valid features JSON; --version and help")
  func featuresVersionHelp() throws {
    let sb = try Sandbox("features")
    defer { sb.cleanup() }
    let features = try sb.hull(["features"], writeConfig: false)
    #expect(features.status == 0, "\(features)")
    let value = try JSON.parse(features.stdout)
    #expect(value["ociVersionMin"]?.stringValue?.hasPrefix("1.0") == true)
    #expect(value["ociVersionMax"]?.stringValue?.hasPrefix("1.") == true)
    let namespaces = value["linux"]?["namespaces"]?.arrayValue?.compactMap(\.stringValue) ?? []
    for kind in ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"] {
      #expect(namespaces.contains(kind), "features lacks namespace \(kind)")
    }
    #expect(value["hooks"]?.arrayValue?.isEmpty == false)

    for flag in ["--version", "-v"] {
      let version = try spawn([HullTestEnv.hullPath, flag], outputDir: sb.dir).wait()
      #expect(version.status == 0, "\(version)")
      #expect(version.stdout.hasPrefix("hull version "), "\(version)")
      #expect(version.stdout.contains("spec: 1."), "\(version)")
    }
    let help = try spawn([HullTestEnv.hullPath, "help"], outputDir: sb.dir).wait()
    #expect(help.status == 0)
    for command in ["create", "start", "run", "state", "kill", "delete", "list", "spec", "features"] {
      #expect(help.stdout.contains(command), "help does not mention \(command)")
    }
    let unknown = try spawn([HullTestEnv.hullPath, "frobnicate"], outputDir: sb.dir).wait()
    #expect(unknown.status != 0 && unknown.stderr.hasPrefix("hull: "), "\(unknown)")
  }
}
