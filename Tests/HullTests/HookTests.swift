// Issue 2 item 8: hooks at the times and in the namespaces runtime.md gives, state JSON
// on stdin, timeouts, and which failures abort (and tear down) and which only warn.
import Foundation
import Glibc
import OCISpec
import Testing

/// A hook script in `<dir>/hooks` that appends "<kind> <mnt ns> <stdin>" to `<dir>/hooks/log`.
/// The directory is bound at /tmp/hooks in the container, so the same script serves the
/// hooks that run inside it (startContainer) at /tmp/hooks/hook.sh.
struct HookKit {
  let dir: String
  var script: String { dir + "/hook.sh" }
  var log: String { dir + "/log" }

  init(_ sb: Sandbox) throws {
    dir = sb.dir + "/hooks"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try installScript(
      """
      #!/bin/sh
      echo "$1 $(readlink /proc/self/ns/mnt) $(cat)" >> "$(dirname "$0")/log"
      """, at: script, outputDir: sb.dir)
    try installScript("#!/bin/sh\nexit 3\n", at: dir + "/fail.sh", outputDir: sb.dir)
    try installScript(
      "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/slow.pid\"\nexec sleep 30\n", at: dir + "/slow.sh", outputDir: sb.dir)
    sb.addMount(json: #"{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev"]}"#)
    sb.addMount(json: #"{"destination":"/tmp/hooks","type":"bind","source":"\#(dir)","options":["rbind","rw"]}"#)
  }

  /// A hook that writes its environment to `<dir>/<name>.env` (`env`: the hook's own, nil for none given).
  static func envHook(_ name: String, dir: String, env: [String]?) -> JSONValue {
    var object = JSONObject()
    object["path"] = .string("/bin/sh")
    object["args"] = jsonStrings(["sh", "-c", "cat >/dev/null; env > \(dir)/\(name).env"])
    if let env { object["env"] = jsonStrings(env) }
    return .object(object)
  }

  func hook(_ kind: String, path: String? = nil, timeout: Int? = nil, inContainer: Bool = false) -> JSONValue {
    var object = JSONObject()
    object["path"] = .string(path ?? (inContainer ? "/tmp/hooks/hook.sh" : script))
    object["args"] = jsonStrings([path ?? (inContainer ? "/tmp/hooks/hook.sh" : script), kind])
    object["env"] = jsonStrings(["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
    if let timeout { object["timeout"] = .int(Int64(timeout)) }
    return .object(object)
  }

  /// (kind, mount namespace, state JSON) per line.
  func entries() -> [(kind: String, mnt: String, state: JSONValue?)] {
    readText(log).split(separator: "\n").map { line in
      let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
      return (parts.first ?? "", parts.count > 1 ? parts[1] : "", parts.count > 2 ? try? JSON.parse(parts[2]) : nil)
    }
  }
}

@Suite("hooks") struct HookTests {
  @Test("every hook runs at its time, in its namespace, with the state on stdin")
  func allHooks() throws {
    let sb = try Sandbox("hooks")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks",
      .object(
        JSONObject([
          ("prestart", .array([kit.hook("prestart")])),
          ("createRuntime", .array([kit.hook("createRuntime")])),
          ("createContainer", .array([kit.hook("createContainer")])),
          ("startContainer", .array([kit.hook("startContainer", inContainer: true)])),
          ("poststart", .array([kit.hook("poststart")])),
          ("poststop", .array([kit.hook("poststop")])),
        ])))
    sb.script("echo ran > /tmp/hooks/user-command; exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    let pid = try sb.pid(id)
    let hostMnt = namespaceLink("self", "mnt")
    let containerMnt = namespaceLink(String(pid), "mnt")
    #expect(hostMnt != containerMnt)

    var entries = kit.entries()
    #expect(entries.map(\.kind) == ["prestart", "createRuntime", "createContainer"], "\(readText(kit.log))")
    #expect(access(kit.dir + "/user-command", F_OK) != 0)

    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForFile(kit.dir + "/user-command") == "ran\n")
    entries = kit.entries()
    #expect(
      entries.map(\.kind) == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart"],
      "\(readText(kit.log))")

    #expect(try sb.hull(["kill", id, "KILL"], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    entries = kit.entries()
    #expect(
      entries.map(\.kind) == [
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
      ],
      "\(readText(kit.log))")

    let expectedNamespace = [
      "prestart": hostMnt, "createRuntime": hostMnt, "createContainer": containerMnt,
      "startContainer": containerMnt, "poststart": hostMnt, "poststop": hostMnt,
    ]
    for entry in entries {
      #expect(entry.mnt == expectedNamespace[entry.kind], "\(entry.kind) ran in mount namespace \(entry.mnt)")
      let state = try #require(entry.state, "\(entry.kind): no state JSON on stdin: \(readText(kit.log))")
      #expect(state["id"]?.stringValue == id, "\(entry.kind)")
      #expect(state["ociVersion"]?.stringValue == "1.0.2", "\(entry.kind)")
      #expect(state["bundle"]?.stringValue == sb.bundle, "\(entry.kind)")
      if entry.kind != "poststop" { #expect(state["pid"]?.int64Value == Int64(pid), "\(entry.kind): \(state)") }
    }
    let statuses = Dictionary(uniqueKeysWithValues: entries.map { ($0.kind, $0.state?["status"]?.stringValue ?? "") })
    #expect(statuses["createRuntime"] == "creating" && statuses["poststop"] == "stopped", "\(statuses)")
    sb.expectNothingLeft(id)
  }

  @Test(
    "a failing hook aborts create and leaves nothing behind",
    arguments: ["prestart", "createRuntime", "createContainer"])
  func failingCreateHook(_ kind: String) throws {
    let sb = try Sandbox("hook-fail-\(kind)")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set("hooks", .object(JSONObject([(kind, .array([kit.hook(kind, path: kit.dir + "/fail.sh")]))])))
    sb.script("echo ran > /tmp/hooks/user-command")
    let id = sb.newID()
    let result = try sb.hull(["run", "--bundle", sb.bundle, id])
    #expect(result.status != 0)
    #expect(
      result.stderr.hasPrefix("hull: ") && result.stderr.contains(kind) && result.stderr.contains("exit status 3"),
      "\(result)")
    #expect(access(kit.dir + "/user-command", F_OK) != 0)
    sb.expectNothingLeft(id)
  }

  @Test("a failing startContainer hook fails start; the user command never runs")
  func failingStartContainer() throws {
    let sb = try Sandbox("hook-fail-start")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks",
      .object(JSONObject([("startContainer", .array([kit.hook("startContainer", path: "/tmp/hooks/fail.sh")]))])))
    sb.script("echo ran > /tmp/hooks/user-command")
    let id = sb.newID()
    try sb.create(id)
    let start = try sb.hull(["start", id], writeConfig: false)
    #expect(start.status != 0 && start.stderr.contains("startContainer"), "\(start)")
    #expect(sb.waitForStatus(id, "stopped"))
    #expect(access(kit.dir + "/user-command", F_OK) != 0)
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("a failing poststop hook only warns; the hook after it still runs")
  func failingPoststopWarns() throws {
    let sb = try Sandbox("hook-poststop")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks",
      .object(
        JSONObject([
          ("poststop", .array([kit.hook("poststop", path: kit.dir + "/fail.sh"), kit.hook("poststop")]))
        ])))
    sb.script("echo ran > /tmp/hooks/user-command; exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForFile(kit.dir + "/user-command") == "ran\n")
    let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    #expect(delete.stderr.contains("warning") && delete.stderr.contains("poststop"), "\(delete)")
    #expect(kit.entries().map(\.kind) == ["poststop"], "\(readText(kit.log))")
    sb.expectNothingLeft(id)
  }

  /// runtime.md lifecycle step 9 (as runc 1.1 does): a failing poststart hook is an error; the
  /// container is stopped and deleted and its poststop hooks run.
  @Test(
    "a failing poststart hook fails start/run, stops and deletes the container, runs poststop",
    arguments: ["start", "run", "run --detach"])
  func failingPoststart(_ how: String) throws {
    let sb = try Sandbox("hook-poststart")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks",
      .object(
        JSONObject([
          ("poststart", .array([kit.hook("poststart", path: kit.dir + "/fail.sh"), kit.hook("poststart")])),
          ("poststop", .array([kit.hook("poststop")])),
        ])))
    sb.script("echo $$ > /tmp/hooks/user-pid; exec sleep 30")
    let id = sb.newID()
    let result: CommandResult
    if how == "start" {
      try sb.create(id)
      result = try sb.hull(["start", id], writeConfig: false)
    } else {
      result = try sb.hull(["run", "--bundle", sb.bundle] + (how == "run" ? [] : ["--detach"]) + [id])
    }
    #expect(result.status == 1, "\(result)")
    #expect(result.stderr.contains("poststart[0]") && result.stderr.contains("exit status 3"), "\(result)")
    // The hook after the failing one does not run; poststop does, once.
    #expect(kit.entries().map(\.kind) == ["poststop"], "\(readText(kit.log))")
    #expect(kit.entries().first?.state?["status"]?.stringValue == "stopped")
    #expect(try sb.hull(["state", id], writeConfig: false).status != 0, "the container still exists")
    sb.expectNothingLeft(id)
  }

  /// As runc and crun: a hook without `env` gets the runtime's environment on the host and
  /// the container process's in the container; `env: []` is an empty environment.
  @Test("a hook without env inherits the runtime's environment (the process's in the container)")
  func hookEnvironment() throws {
    let sb = try Sandbox("hook-env")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set("process.env", jsonStrings(["PATH=/bin:/sbin", "PROCESS_ONLY=1"]))
    sb.set(
      "hooks",
      .object(
        JSONObject([
          (
            "prestart",
            .array([
              HookKit.envHook("prestart", dir: kit.dir, env: nil), HookKit.envHook("empty", dir: kit.dir, env: []),
            ])
          ),
          ("startContainer", .array([HookKit.envHook("startContainer", dir: "/tmp/hooks", env: nil)])),
          ("poststart", .array([HookKit.envHook("poststart", dir: kit.dir, env: nil)])),
        ])))
    sb.script("true")
    let id = sb.newID()
    try sb.writeConfig()
    let result = try run(
      [
        "/usr/bin/env", "HULL_TEST_MARK=hook-env", HullTestEnv.hullPath, "--root", sb.root, "run",
        "--bundle", sb.bundle, id,
      ], outputDir: sb.dir)
    #expect(result.status == 0, "\(result)")
    for name in ["prestart", "poststart"] {
      let env = readText(kit.dir + "/\(name).env")
      #expect(env.contains("HULL_TEST_MARK=hook-env") && env.contains("PATH="), "\(name): \(env)")
      #expect(!env.contains("PROCESS_ONLY"), "\(name): \(env)")
      // hull quiets the Swift runtime's backtracer probing with this variable (self_exe.c)
      // and removes it before anything runs: a hook never inherits it.
      #expect(!env.contains("SWIFT_BACKTRACE"), "\(name): \(env)")
    }
    let inContainer = readText(kit.dir + "/startContainer.env")
    #expect(
      inContainer.contains("PROCESS_ONLY=1") && inContainer.contains("PATH=/bin:/sbin")
        && inContainer.contains("HOME=/root"),
      "\(inContainer)")
    #expect(!inContainer.contains("HULL_TEST_MARK"), "\(inContainer)")
    let empty = readText(kit.dir + "/empty.env")
    #expect(!empty.contains("HULL_TEST_MARK") && !empty.contains("PATH="), "\(empty)")
    sb.expectNothingLeft(id)
  }

  @Test("a SWIFT_BACKTRACE the user set reaches hooks unchanged (hull removes only its own)")
  func userBacktraceSettingPassesThrough() throws {
    let sb = try Sandbox("hook-bt")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set("hooks", .object(JSONObject([("prestart", .array([HookKit.envHook("prestart", dir: kit.dir, env: nil)]))])))
    sb.script("true")
    let id = sb.newID()
    try sb.writeConfig()
    let result = try run(
      [
        "/usr/bin/env", "SWIFT_BACKTRACE=enable=no", HullTestEnv.hullPath, "--root", sb.root, "run",
        "--bundle", sb.bundle, id,
      ], outputDir: sb.dir)
    #expect(result.status == 0, "\(result)")
    let env = readText(kit.dir + "/prestart.env")
    #expect(env.split(separator: "\n").contains("SWIFT_BACKTRACE=enable=no"), "\(env)")
    sb.expectNothingLeft(id)
  }

  /// As runc and crun: the startContainer hook runs in the container as its process will,
  /// with the process's user, capabilities, no_new_privs and seccomp filter.
  @Test("the startContainer hook runs under the process's user, capabilities and seccomp filter")
  func startContainerUnderFilter() throws {
    let sb = try Sandbox("hook-seccomp")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    chmod(kit.dir, 0o777)
    var hook = JSONObject()
    hook["path"] = .string("/bin/sh")
    hook["args"] = jsonStrings([
      "sh", "-c",
      "(id -u; grep -E 'Seccomp:|CapEff|NoNewPrivs' /proc/self/status; mkdir /tmp/hooks/made 2>&1) > /tmp/hooks/start.txt; true",
    ])
    sb.set("hooks", .object(JSONObject([("startContainer", .array([.object(hook)]))])))
    sb.set(
      "linux.seccomp",
      json:
        #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}"#
    )
    sb.set("process.user", json: #"{"uid": 1000, "gid": 1000}"#)
    sb.set("process.noNewPrivileges", .bool(true))
    sb.script("true")
    let id = sb.newID()
    let run = try sb.runContainer(id)
    #expect(run.status == 0, "\(run)")
    let report = readText(kit.dir + "/start.txt")
    #expect(report.hasPrefix("1000\n"), "\(report)")
    #expect(
      report.contains("Seccomp:\t2") && report.contains("NoNewPrivs:\t1")
        && report.contains("CapEff:\t0000000000000000"),
      "\(report)")
    #expect(report.contains("Operation not permitted") && access(kit.dir + "/made", F_OK) != 0, "\(report)")
    sb.expectNothingLeft(id)
  }

  @Test("a hook that outlives its timeout is killed and create fails")
  func hookTimeout() throws {
    let sb = try Sandbox("hook-timeout")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks",
      .object(
        JSONObject([("createRuntime", .array([kit.hook("createRuntime", path: kit.dir + "/slow.sh", timeout: 1)]))])))
    let id = sb.newID()
    let started = Date()
    let result = try sb.hull(["create", "--bundle", sb.bundle, id], timeout: 20)
    let elapsed = Date().timeIntervalSince(started)
    #expect(result.status != 0 && result.stderr.contains("timed out"), "\(result)")
    #expect(elapsed < 10, "create took \(elapsed) s")
    let hookPid = Int32(readText(kit.dir + "/slow.pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect(hookPid > 0)
    #expect(!processIsLive(hookPid), "the timed-out hook \(hookPid) is still alive")
    sb.expectNothingLeft(id)
  }

  @Test("a createRuntime hook without a timeout dies with a SIGKILLed create; delete --force leaves nothing")
  func hookDiesWithHull() throws {
    let sb = try Sandbox("hook-orphan")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set(
      "hooks", .object(JSONObject([("createRuntime", .array([kit.hook("createRuntime", path: kit.dir + "/slow.sh")]))]))
    )
    let id = sb.newID()
    let create = try sb.hullSpawn(["create", "--bundle", sb.bundle, id], timeout: 20)
    let pidFile = kit.dir + "/slow.pid"
    let hookPid = Int32((sb.waitForFile(pidFile) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    #expect(hookPid > 0, "the hook never ran")
    kill(create.pid, SIGKILL)
    _ = create.wait()
    let deadline = Date().addingTimeInterval(5)
    while hookPid > 0 && processIsLive(hookPid) && Date() < deadline { usleep(20_000) }
    #expect(hookPid > 0 && !processIsLive(hookPid), "the hook \(hookPid) outlived the killed hull create")
    let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    sb.expectNothingLeft(id)
  }

  @Test("a hook path that does not exist aborts create with a clear error")
  func missingHook() throws {
    let sb = try Sandbox("hook-missing")
    defer { sb.cleanup() }
    let kit = try HookKit(sb)
    sb.set("hooks", .object(JSONObject([("prestart", .array([kit.hook("prestart", path: sb.dir + "/no-such-hook")]))])))
    let id = sb.newID()
    let result = try sb.hull(["create", "--bundle", sb.bundle, id])
    #expect(
      result.status != 0 && result.stderr.contains(sb.dir + "/no-such-hook")
        && result.stderr.contains("no such file or directory"), "\(result)")
    sb.expectNothingLeft(id)
  }
}
