// hull --systemd-cgroup against a real systemd (PID 1): the transient scope and its properties as systemd
// reports them (`systemctl show`) and as the cgroup files hold them, update, pause/resume, kill --all, delete,
// a create that fails or is killed part way, bad cgroupsPath forms, and runc's unit for the same config.
// This host has no systemd init: the suite runs in `drydock vm --cgroup v2 --init systemd` and skips elsewhere.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite(
  "systemd cgroup driver (systemd as PID 1)", .serialized,
  .enabled(if: SystemdHost.unavailable == nil, Comment(rawValue: SystemdHost.unavailable ?? "")))
struct SystemdCgroupTests {
  /// A sandbox whose containers get "system.slice:hulltest:<id>"; its units are stopped at cleanup.
  final class Box {
    let sb: Sandbox
    let id: String
    var unit: String { "hulltest-\(id).scope" }
    var cgroupPath: String { "/system.slice/" + unit }

    init(_ name: String) throws {
      sb = try Sandbox(name)
      id = sb.newID()
      sb.set("linux.cgroupsPath", .string("system.slice:hulltest:\(id)"))
    }

    func hull(_ args: [String], timeout: Double = 60) throws -> CommandResult {
      try sb.hull(["--systemd-cgroup", "--root", sb.root] + args, timeout: timeout, rootFlag: [])
    }

    /// A cgroup file of the unit: the unified one on v2, else the v1 controller's.
    func file(_ v2: String, v1 controller: String, _ v1: String) -> String {
      let path =
        Host.isCgroupV2
        ? "/sys/fs/cgroup" + cgroupPath + "/" + v2 : "/sys/fs/cgroup/\(controller)" + cgroupPath + "/" + v1
      return readText(path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func cleanup() {
      sb.cleanup()
      SystemdHost.stop(unit)
    }
  }

  static let resources =
    #"{"memory": {"limit": 67108864, "reservation": 33554432}, "pids": {"limit": 42}, "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0"}}"#

  @Test("create: a transient scope in system.slice holding the init, with the resources as properties and in the files")
  func scopeAndProperties() throws {
    let box = try Box("sd-scope")
    defer { box.cleanup() }
    box.sb.set("linux.resources", json: Self.resources)
    if Host.isCgroupV2 { box.sb.set("linux.resources.unified", json: #"{"memory.high": "50331648"}"#) }
    box.sb.script("exec sleep 60")
    let create = try box.hull(["create", "--bundle", box.sb.bundle, box.id])
    #expect(create.status == 0, "\(create)")
    let pid = try box.sb.pid(box.id)
    let show = SystemdHost.show(
      box.unit,
      [
        "ActiveState", "Slice", "Delegate", "Description", "ControlGroup", "MemoryMax",
        "MemoryLimit", "MemoryLow", "MemoryHigh", "TasksMax", "CPUWeight", "CPUShares",
        "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "AllowedCPUs", "DevicePolicy",
        "DeviceAllow", "MemoryAccounting", "TasksAccounting",
      ])
    #expect(show["ActiveState"] == "active", "\(show)")
    #expect(show["Slice"] == "system.slice")
    #expect(show["Delegate"] == "yes")
    #expect(show["Description"] == "hull container \(box.id)")
    #expect(show["ControlGroup"] == box.cgroupPath)
    #expect(show["TasksMax"] == "42")
    #expect(show["TasksAccounting"] == "yes" && show["MemoryAccounting"] == "yes")
    #expect(show["CPUQuotaPerSecUSec"] == "500ms")
    #expect(show["CPUQuotaPeriodUSec"] == "100ms")
    #expect(show["AllowedCPUs"] == "0")
    #expect(show["DevicePolicy"] == "strict")
    #expect(show["DeviceAllow"]?.contains("char-pts rwm") == true, "\(show["DeviceAllow"] ?? "")")
    if Host.isCgroupV2 {
      #expect(show["MemoryMax"] == "67108864")
      #expect(show["MemoryLow"] == "33554432")
      #expect(show["MemoryHigh"] == "50331648")
      #expect(show["CPUWeight"] == "39")
      #expect(readText("/proc/\(pid)/cgroup") == "0::\(box.cgroupPath)\n")
      #expect(box.file("memory.high", v1: "memory", "") == "50331648")
    } else {
      #expect(show["MemoryLimit"] == "67108864")
      #expect(show["CPUShares"] == "1024")
      #expect(readText("/proc/\(pid)/cgroup").contains(":memory:\(box.cgroupPath)\n"))
      // The hierarchies systemd does not manage: the same path, made by hull.
      #expect(readText("/proc/\(pid)/cgroup").contains(":freezer:\(box.cgroupPath)\n"))
    }
    #expect(box.file("memory.max", v1: "memory", "memory.limit_in_bytes") == "67108864")
    #expect(box.file("pids.max", v1: "pids", "pids.max") == "42")
    #expect(box.file("cpu.max", v1: "cpu", "cpu.cfs_quota_us").hasPrefix("50000"))
    #expect(box.file("cgroup.procs", v1: "memory", "cgroup.procs") == "\(pid)")
    // state, ps, events find the cgroup through the record.
    #expect(box.sb.status(box.id) == "created")
    let ps = try box.hull(["ps", "--format", "json", box.id])
    #expect(ps.stdout.contains("\(pid)"), "\(ps)")
    let events = try box.hull(["events", "--stats", box.id])
    #expect(events.status == 0 && events.stdout.contains("\"limit\":42"), "\(events)")
    let features = try box.hull(["features"])
    #expect(try JSON.parse(features.stdout)["linux"]?["cgroup"]?["systemd"] == .bool(true), "\(features)")

    let delete = try box.hull(["delete", "--force", box.id])
    #expect(delete.status == 0, "\(delete)")
    #expect(SystemdHost.waitGone(box.unit), "unit \(box.unit) still \(SystemdHost.loadState(box.unit))")
    #expect(access("/sys/fs/cgroup" + (Host.isCgroupV2 ? "" : "/memory") + box.cgroupPath, F_OK) != 0)
    box.sb.expectNothingLeft(box.id)
  }

  @Test("update goes through SetUnitProperties and the files; pause and resume freeze the scope")
  func updatePauseResume() throws {
    let box = try Box("sd-update")
    defer { box.cleanup() }
    box.sb.set("linux.resources", json: Self.resources)
    box.sb.script("exec sleep 60")
    #expect(try box.hull(["run", "--detach", "--bundle", box.sb.bundle, box.id]).status == 0)
    let update = try box.hull(["update", "--memory", "33554432", "--cpu-quota", "25000", "--pids-limit", "20", box.id])
    #expect(update.status == 0, "\(update)")
    let show = SystemdHost.show(box.unit, ["MemoryMax", "MemoryLimit", "TasksMax", "CPUQuotaPerSecUSec"])
    #expect(show[Host.isCgroupV2 ? "MemoryMax" : "MemoryLimit"] == "33554432", "\(show)")
    #expect(show["TasksMax"] == "20")
    #expect(show["CPUQuotaPerSecUSec"] == "250ms")
    #expect(box.file("memory.max", v1: "memory", "memory.limit_in_bytes") == "33554432")
    #expect(box.file("pids.max", v1: "pids", "pids.max") == "20")
    #expect(box.file("cpu.max", v1: "cpu", "cpu.cfs_quota_us").hasPrefix("25000"))

    // exec joins the scope (its cgroup in every hierarchy, through the record).
    let exec = try box.hull(["exec", "--detach", box.id, "/bin/sleep", "30"])
    #expect(exec.status == 0, "\(exec)")
    #expect(box.file("cgroup.procs", v1: "memory", "cgroup.procs").split(separator: "\n").count == 2)

    #expect(try box.hull(["pause", box.id]).status == 0)
    #expect(box.sb.status(box.id) == "paused")
    #expect(box.file("cgroup.freeze", v1: "freezer", "freezer.state") == (Host.isCgroupV2 ? "1" : "FROZEN"))
    #expect(try box.hull(["resume", box.id]).status == 0)
    #expect(box.sb.status(box.id) == "running")
    #expect(SystemdHost.show(box.unit, ["ActiveState"])["ActiveState"] == "active")
    #expect(try box.hull(["delete", "--force", box.id]).status == 0)
    #expect(SystemdHost.waitGone(box.unit))
  }

  @Test("kill --all signals every process of the scope (no pid namespace); the empty scope goes away")
  func killAll() throws {
    let box = try Box("sd-killall")
    defer { box.cleanup() }
    box.sb.set("linux.namespaces", json: #"[{"type":"mount"},{"type":"ipc"},{"type":"uts"}]"#)
    box.sb.script("sleep 61 & sleep 62 & exec sleep 63")
    #expect(try box.hull(["run", "--detach", "--bundle", box.sb.bundle, box.id]).status == 0)
    let procs = "/sys/fs/cgroup" + (Host.isCgroupV2 ? "" : "/pids") + box.cgroupPath + "/cgroup.procs"
    let deadline = Date().addingTimeInterval(5)
    while readText(procs).split(separator: "\n").count < 3 && Date() < deadline { usleep(20_000) }
    #expect(readText(procs).split(separator: "\n").count == 3, "\(readText(procs))")
    let kill = try box.hull(["kill", "--all", box.id, "KILL"])
    #expect(kill.status == 0, "\(kill)")
    #expect(SystemdHost.waitGone(box.unit), "the scope outlived its processes: \(SystemdHost.loadState(box.unit))")
    #expect(box.sb.waitForStatus(box.id, "stopped"))
    #expect(try box.hull(["delete", box.id]).status == 0)
    box.sb.expectNothingLeft(box.id)
  }

  @Test("a create that fails after the scope exists leaves no scope", arguments: ["mount", "file"])
  func failedCreate(_ failure: String) throws {
    let box = try Box("sd-fail-\(failure)")
    defer { box.cleanup() }
    if failure == "mount" {
      // The init fails in its mounts, after the unit holds it.
      box.sb.addMount(json: #"{"destination": "/tmp", "type": "nosuchfs", "source": "none"}"#)
    } else {
      // The files written after StartTransientUnit refuse a page size the kernel does not have.
      box.sb.set("linux.resources.hugepageLimits", json: #"[{"pageSize": "3MB", "limit": 4194304}]"#)
    }
    let create = try box.hull(["create", "--bundle", box.sb.bundle, box.id])
    #expect(create.status != 0, "\(create)")
    // The failure is the one meant (the init's mount, or the file write), both after the unit was started.
    #expect(create.stderr.contains(failure == "mount" ? "nosuchfs" : "hugetlb.3MB"), "\(create)")
    #expect(SystemdHost.waitGone(box.unit), "unit left: \(SystemdHost.loadState(box.unit))")
    box.sb.expectNothingLeft(box.id)
  }

  @Test("hull killed during create (in a createRuntime hook): delete --force leaves no scope")
  func killedCreate() throws {
    let box = try Box("sd-killed")
    defer { box.cleanup() }
    box.sb.set("hooks.createRuntime", json: #"[{"path": "/bin/sleep", "args": ["sleep", "30"]}]"#)
    let create = try box.sb.hullSpawn(
      ["--systemd-cgroup", "--root", box.sb.root, "create", "--bundle", box.sb.bundle, box.id],
      timeout: 60, rootFlag: [])
    let deadline = Date().addingTimeInterval(30)
    while SystemdHost.show(box.unit, ["ActiveState"])["ActiveState"] != "active" && Date() < deadline { usleep(50_000) }
    #expect(SystemdHost.show(box.unit, ["ActiveState"])["ActiveState"] == "active")
    usleep(300_000)  // into the hook
    kill(create.pid, SIGKILL)
    _ = create.wait()
    let delete = try box.hull(["delete", "--force", box.id])
    #expect(delete.status == 0, "\(delete)")
    #expect(SystemdHost.waitGone(box.unit), "unit left: \(SystemdHost.loadState(box.unit))")
    box.sb.expectNothingLeft(box.id)
  }

  @Test(
    "bad cgroupsPath forms are refused naming linux.cgroupsPath; nothing is made",
    arguments: [
      "bad:hulltest:x", "a--b.slice:hulltest:x", "-x.slice:hulltest:x", "/system.slice/x", "system.slice:hulltest:a b",
    ])
  func badForms(_ path: String) throws {
    let box = try Box("sd-bad")
    defer { box.cleanup() }
    box.sb.set("linux.cgroupsPath", .string(path))
    let create = try box.hull(["create", "--bundle", box.sb.bundle, box.id])
    #expect(create.status != 0 && create.stderr.contains("linux.cgroupsPath"), "\(create)")
    box.sb.expectNothingLeft(box.id)
  }

  @Test("runc --systemd-cgroup on the same config: the same unit properties")
  func runcReference() throws {
    guard let runc = ([String])(["/usr/sbin/runc", "/usr/bin/runc"]).first(where: { access($0, X_OK) == 0 }) else {
      Issue.record("runc is not installed")
      return
    }
    let properties = [
      "Slice", "Delegate", "MemoryMax", "MemoryLimit", "MemoryLow", "TasksMax", "CPUWeight", "CPUShares",
      "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "AllowedCPUs", "DevicePolicy", "DeviceAllow",
    ]
    var seen: [[String: String]] = []
    for runtime in ["hull", "runc"] {
      let box = try Box("sd-ref-\(runtime)")
      defer { box.cleanup() }
      box.sb.set("linux.resources", json: Self.resources)
      box.sb.script("exec sleep 60")
      let unit = "\(runtime)ref-\(box.id).scope"
      box.sb.set("linux.cgroupsPath", .string("system.slice:\(runtime)ref:\(box.id)"))
      try box.sb.writeConfig()
      let binary = runtime == "hull" ? HullTestEnv.hullPath : runc
      let create = try spawn(
        [binary, "--systemd-cgroup", "--root", box.sb.root, "create", "--bundle", box.sb.bundle, box.id],
        outputDir: box.sb.dir
      ).wait()
      #expect(create.status == 0, "\(runtime): \(create)")
      seen.append(SystemdHost.show(unit, properties))
      _ = try spawn([binary, "--root", box.sb.root, "delete", "--force", box.id], outputDir: box.sb.dir).wait()
      #expect(SystemdHost.waitGone(unit), "\(runtime) left \(unit)")
    }
    for property in properties {
      #expect(
        seen[0][property] == seen[1][property],
        "\(property): hull \(seen[0][property] ?? "-"), runc \(seen[1][property] ?? "-")")
    }
  }

  @Test(
    "rootless: the user's own manager holds the container in a scope of its user.slice",
    .enabled(if: SystemdUser.unavailable == nil, Comment(rawValue: SystemdUser.unavailable ?? "")))
  func rootless() throws {
    let sb = try Sandbox("sd-user")
    defer { sb.cleanup() }
    let uid = SystemdUser.uid
    let home = sb.dir + "/home"
    for dir in [sb.root, home] {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      chown(dir, uid, uid)
    }
    let spec = try SystemdUser.asUser([HullTestEnv.hullPath, "spec", "--rootless", "--bundle", home], in: sb.dir)
    #expect(spec.status == 0, "\(spec)")
    sb.config = try JSON.parse(readText(home + "/config.json"))
    sb.set("root.path", .string(sb.rootfs))
    sb.set("process.terminal", .bool(false))
    sb.set("process.args", jsonStrings(["/bin/sleep", "60"]))
    let id = sb.newID()
    sb.set("linux.cgroupsPath", .string(":hulltest:\(id)"))
    sb.set("linux.resources", json: #"{"memory": {"limit": 67108864}, "pids": {"limit": 20}}"#)
    try sb.writeConfig()
    let hull = { (args: [String]) throws -> CommandResult in
      try SystemdUser.asUser([HullTestEnv.hullPath, "--systemd-cgroup", "--root", sb.root] + args, in: sb.dir)
    }
    let unit = "hulltest-\(id).scope"
    let cgroup = "/user.slice/user-\(uid).slice/user@\(uid).service/user.slice/\(unit)"
    let create = try hull(["create", "--bundle", sb.bundle, id])
    guard Host.isCgroupV2 else {
      // v1/hybrid: no user manager can be delegated v1 hierarchies; refused before anything is made.
      #expect(create.status != 0 && create.stderr.contains("needs cgroup v2"), "\(create)")
      let runcPath = ([String])(["/usr/sbin/runc", "/usr/bin/runc"]).first { access($0, X_OK) == 0 } ?? "runc"
      let runc = try SystemdUser.asUser(
        [runcPath, "--systemd-cgroup", "--root", sb.root, "create", "--bundle", sb.bundle, id + "-runc"],
        in: sb.dir)
      #expect(runc.status != 0, "runc for reference: \(runc)")
      print("runc 1.1.5, rootless --systemd-cgroup on \(HullTestEnv.hierarchies.count) hierarchies: \(runc.stderr)")
      sb.expectNothingLeft(id)
      return
    }
    #expect(create.status == 0, "\(create)")
    let pid = Int32(try JSON.parse(try hull(["state", id]).stdout)["pid"]?.int64Value ?? 0)
    #expect(readText("/proc/\(pid)/cgroup") == "0::\(cgroup)\n")
    let show = SystemdUser.show(
      unit, ["ActiveState", "Slice", "Delegate", "MemoryMax", "TasksMax", "ControlGroup"], in: sb.dir)
    #expect(show["ActiveState"] == "active" && show["Slice"] == "user.slice" && show["Delegate"] == "yes", "\(show)")
    #expect(show["ControlGroup"] == cgroup)
    #expect(show["MemoryMax"] == "67108864" && show["TasksMax"] == "20", "\(show)")
    #expect(readText("/sys/fs/cgroup" + cgroup + "/memory.max") == "67108864\n")
    let update = try hull(["update", "--memory", "33554432", id])
    #expect(update.status == 0, "\(update)")
    #expect(SystemdUser.show(unit, ["MemoryMax"], in: sb.dir)["MemoryMax"] == "33554432")
    let features = try hull(["features"])
    #expect(try JSON.parse(features.stdout)["linux"]?["cgroup"]?["systemdUser"] == .bool(true), "\(features)")
    let delete = try hull(["delete", "--force", id])
    #expect(delete.status == 0 && delete.stderr.isEmpty, "\(delete)")
    #expect(SystemdUser.show(unit, ["LoadState"], in: sb.dir)["LoadState"] == "not-found")
    #expect(access("/sys/fs/cgroup" + cgroup, F_OK) != 0)
    sb.expectNothingLeft(id)
  }
}
