// Issue 4 item 3: rootless. hull run by an unprivileged user (a uid of the test's own, with no
// passwd entry and no capabilities, through setpriv) on a config from `hull spec --rootless`:
// the container runs in a user namespace mapping only that uid, without cgroups of its own.
import Foundation
import Glibc
import OCISpec
import Testing

enum RootlessHost {
  static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { access($0, X_OK) == 0 }
  /// A uid (and gid) no one on this machine uses: not in /etc/passwd, owning no process.
  static let uid: UInt32 = {
    let used = Set(
      readText("/etc/passwd").split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst(2).first }
        .compactMap { UInt32($0) })
    var candidate = UInt32(41_000 + getpid() % 1000)
    while used.contains(candidate) { candidate += 1 }
    return candidate
  }()

  /// Why rootless tests cannot run here, or nil.
  static let unavailable: String? = {
    guard HullTestEnv.isRoot else { return "the rootless tests need root to set up the unprivileged user" }
    guard let setpriv else { return "no setpriv (util-linux) to run hull as an unprivileged user" }
    if readText("/proc/sys/user/max_user_namespaces").trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
      return "user namespaces are disabled (user.max_user_namespaces = 0)"
    }
    let probe = try? run(
      [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/unshare", "--user", "/bin/true"],
      outputDir: "/tmp")
    if probe?.status != 0 {
      return "an unprivileged user cannot create a user namespace here: \(probe.map { "\($0)" } ?? "unshare failed")"
    }
    return nil
  }()
}

@Suite("rootless", .enabled(if: RootlessHost.unavailable == nil, Comment(rawValue: RootlessHost.unavailable ?? "")))
struct RootlessTests {
  /// A sandbox whose config is `hull spec --rootless` as the unprivileged user, whose state
  /// directory that user owns, and a home directory of the user's (`<dir>/home`).
  static func rootlessSandbox(_ name: String) throws -> Sandbox {
    let box = try Sandbox(name)
    let uid = RootlessHost.uid
    let home = box.dir + "/home"
    for dir in [box.root, home] {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      chown(dir, uid, uid)
    }
    let spec = try asUser(box, ["spec", "--rootless", "--bundle", home])
    guard spec.status == 0 else { throw TestFailure("hull spec --rootless as uid \(uid): \(spec)") }
    box.config = try JSON.parse(readText(home + "/config.json"))
    box.set("process.terminal", .bool(false))
    box.set("hostname", .string("rootless"))
    return box
  }

  /// hull as the unprivileged user; `root` nil leaves --root out.
  static func asUser(_ box: Sandbox, _ args: [String], root: String? = nil, environment: [String]? = nil) throws
    -> CommandResult
  {
    let uid = RootlessHost.uid
    let rootFlag = root.map { ["--root", $0] } ?? []
    return try spawn(
      [RootlessHost.setpriv!, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", HullTestEnv.hullPath]
        + rootFlag + args, outputDir: box.dir, environment: environment
    ).wait()
  }

  @Test("spec --rootless maps the caller's uid and gid to root and drops network, cgroup limits and gid= options")
  func rootlessSpec() throws {
    let box = try Self.rootlessSandbox("rootless-spec")
    defer { box.cleanup() }
    let uid = Int64(RootlessHost.uid)
    #expect(box.config["linux"]?["uidMappings"]?.arrayValue?.first?["hostID"]?.int64Value == uid)
    #expect(box.config["linux"]?["gidMappings"]?.arrayValue?.first?["hostID"]?.int64Value == uid)
    #expect(box.config["linux"]?["uidMappings"]?.arrayValue?.first?["containerID"]?.int64Value == 0)
    let namespaces = box.config["linux"]?["namespaces"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
    #expect(namespaces.contains("user") && !namespaces.contains("network"), "namespaces: \(namespaces)")
    #expect(box.config["linux"]?["resources"] == nil)
  }

  @Test("an unprivileged user runs a container: root inside, its own uid outside, setgroups denied, no cgroup")
  func rootlessRun() throws {
    let box = try Self.rootlessSandbox("rootless-run")
    defer { box.cleanup() }
    box.script(
      "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; hostname; "
        + "grep CapEff /proc/self/status; echo x > /dev/null && echo devnull-ok; ls /sys/fs/cgroup | wc -l")
    try box.writeConfig()
    let id = box.newID()
    let result = try Self.asUser(box, ["run", "--bundle", box.bundle, id], root: box.root)
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n").map {
      $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
    let uid = RootlessHost.uid
    #expect(lines.count == 9, "\(result)")
    guard lines.count == 9 else { return }
    #expect(lines[0] == "0" && lines[1] == "0")
    #expect(lines[2] == "0 \(uid) 1" && lines[3] == "0 \(uid) 1")
    #expect(lines[4] == "deny")
    #expect(lines[5] == "rootless")
    // The default rootless process keeps AUDIT_WRITE, KILL and NET_BIND_SERVICE (bits 29, 5, 10).
    #expect(lines[6].hasPrefix("CapEff:") && lines[6].hasSuffix("0000000020000420"), "\(lines[6])")
    #expect(lines[7] == "devnull-ok")
    #expect(lines[8] == "0", "the host's cgroup hierarchies must not show through an empty /sys/fs/cgroup")
    #expect(result.stderr.isEmpty, "\(result)")
    box.expectNothingLeft(id)
  }

  @Test("rootless create, start, exec, kill and delete; cgroup-only commands refuse with a reason")
  func rootlessLifecycle() throws {
    let box = try Self.rootlessSandbox("rootless-lifecycle")
    defer { box.cleanup() }
    box.set("process.args", jsonStrings(["/bin/sleep", "60"]))
    try box.writeConfig()
    let id = box.newID()
    let create = try Self.asUser(box, ["create", "--bundle", box.bundle, id], root: box.root)
    #expect(create.status == 0, "\(create)")
    let state = try JSON.parse(try Self.asUser(box, ["state", id], root: box.root).stdout)
    #expect(state["status"]?.stringValue == "created")
    let pid = Int32(state["pid"]?.int64Value ?? 0)
    let hostUid = statusField(readText("/proc/\(pid)/status"), "Uid")?.split(separator: "\t").first.map(String.init)
    #expect(hostUid == String(RootlessHost.uid), "the init runs as the unprivileged uid on the host")
    #expect(try Self.asUser(box, ["start", id], root: box.root).status == 0)
    let exec = try Self.asUser(
      box, ["exec", id, "/bin/sh", "-c", "id -u; cat /proc/1/cmdline | tr '\\0' ' '"], root: box.root)
    #expect(exec.status == 0, "\(exec)")
    #expect(exec.stdout == "0\n/bin/sleep 60 ", "\(exec)")
    for command in ["ps", "pause"] {
      let refused = try Self.asUser(box, [command, id], root: box.root)
      #expect(refused.status != 0 && refused.stderr.contains("has no cgroup"), "\(command): \(refused)")
    }
    #expect(try Self.asUser(box, ["kill", id, "KILL"], root: box.root).status == 0)
    #expect(box.waitForStatus(id, "stopped"))
    let delete = try Self.asUser(box, ["delete", id], root: box.root)
    #expect(delete.status == 0, "\(delete)")
    box.expectNothingLeft(id)
  }

  @Test("rootless with cgroup limits and no access to the hierarchies: refused, nothing left")
  func rootlessLimitsRefused() throws {
    let box = try Self.rootlessSandbox("rootless-limits")
    defer { box.cleanup() }
    box.set("linux.resources", json: #"{"pids":{"limit":50}}"#)
    try box.writeConfig()
    let id = box.newID()
    let result = try Self.asUser(box, ["run", "--bundle", box.bundle, id], root: box.root)
    #expect(result.status != 0)
    #expect(result.stderr.contains("create cgroup") && result.stderr.contains("permission denied"), "\(result)")
    box.expectNothingLeft(id)
  }

  @Test("without --root an unprivileged caller keeps its state under $XDG_RUNTIME_DIR/hull")
  func rootlessDefaultRoot() throws {
    let box = try Self.rootlessSandbox("rootless-xdg")
    defer { box.cleanup() }
    box.set("process.args", jsonStrings(["/bin/sleep", "60"]))
    try box.writeConfig()
    let id = box.newID()
    let runtimeDir = box.dir + "/home"
    let environment = ["PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=\(runtimeDir)"]
    let create = try Self.asUser(box, ["create", "--bundle", box.bundle, id], environment: environment)
    #expect(create.status == 0, "\(create)")
    #expect(access(runtimeDir + "/hull/" + id + "/state.json", F_OK) == 0)
    let delete = try Self.asUser(box, ["delete", "--force", id], environment: environment)
    #expect(delete.status == 0, "\(delete)")
    #expect(access(runtimeDir + "/hull/" + id, F_OK) != 0)
    box.expectNothingLeft(id)
  }
}
