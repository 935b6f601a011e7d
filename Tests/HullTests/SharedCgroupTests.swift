// Issue 14 item 5: a container given the cgroupsPath of a cgroup that already exists (made by
// hand, or by another tool) shares it with processes that are not the container's. `kill --all`
// and `delete --force` (and a plain `delete` after a create killed part way) must leave those
// alone: the test puts a process of its own in a cgroup it made and checks that it survives.
// (runc 1.1.5 kills it on kill --all, and on delete --force when the container shares the
// host's pid namespace; crun 1.8.1 kills it in every case.)
import Foundation
import Glibc
import OCISpec
import Testing

/// A cgroup the test made itself, in every hierarchy, holding a `sleep` the test started.
final class OutsideCgroup {
  let path: String
  let sleeper: Spawned

  init(_ sb: Sandbox) throws {
    path = sb.cgroupPath + "-shared"
    sb.ownCgroup(path)
    for hierarchy in HullTestEnv.hierarchies {
      let dir = hierarchy + path
      guard mkdir(dir, 0o755) == 0 else { throw TestFailure("mkdir \(dir): \(String(cString: strerror(errno)))") }
      for file in ["cpuset.cpus", "cpuset.mems"] where access(dir + "/" + file, F_OK) == 0 {
        let value = readText(hierarchy + HullTestEnv.cgroupParent + "/" + file).trimmingCharacters(
          in: .whitespacesAndNewlines)
        try value.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
      }
    }
    sleeper = try spawn(["/bin/sleep", "1000"], outputDir: sb.dir, timeout: 600)
    for hierarchy in HullTestEnv.hierarchies {
      try String(sleeper.pid).write(toFile: hierarchy + path + "/cgroup.procs", atomically: false, encoding: .utf8)
    }
  }

  /// Pids in the cgroup (every hierarchy lists the same ones here).
  var pids: [Int32] {
    readText(HullTestEnv.hierarchies[0] + path + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
  }

  /// Waits (5 s at most) until the sleeper is the only process left in the cgroup.
  func waitUntilOnlySleeper() -> Bool {
    for _ in 0..<250 {
      if pids == [sleeper.pid] { return true }
      usleep(20_000)
    }
    return pids == [sleeper.pid]
  }

  func stop() {
    kill(sleeper.pid, SIGKILL)
    _ = sleeper.wait()
  }
}

@Suite("shared cgroups (#14 item 5)") struct SharedCgroupTests {
  enum Operation: String, CaseIterable {
    case killAll = "kill --all"
    case deleteForce = "delete --force"
  }

  @Test(
    "kill --all and delete --force spare a process of the host in the container's pre-existing cgroup",
    arguments: Operation.allCases, [true, false])
  func outsideProcessSurvives(operation: Operation, ownPidNamespace: Bool) throws {
    let sb = try Sandbox("shared-cgroup")
    defer { sb.cleanup() }
    let outside = try OutsideCgroup(sb)
    defer { outside.stop() }
    sb.set("linux.cgroupsPath", .string(outside.path))
    if !ownPidNamespace {
      let namespaces = (sb.config["linux"]?["namespaces"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "pid" }
      sb.set("linux.namespaces", .array(namespaces))
    }
    // An init with children of its own: those must go, the outside sleeper must stay.
    sb.script("sleep 1000 & sleep 1000 & wait")
    let id = sb.newID()
    let run = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    try #require(run.status == 0, "\(run)")
    let initPid = try sb.pid(id)
    // Both sleeps started: the init plus two children, plus the outside sleeper.
    for _ in 0..<250 where outside.pids.count < 4 { usleep(20_000) }
    #expect(outside.pids.count == 4, "cgroup holds \(outside.pids)")

    switch operation {
    case .killAll:
      let kill = try sb.hull(["kill", "--all", id, "KILL"], writeConfig: false)
      #expect(kill.status == 0, "\(kill)")
    case .deleteForce:
      let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
      #expect(delete.status == 0, "\(delete)")
      #expect(access(sb.root + "/" + id, F_OK) != 0, "state directory left")
    }
    #expect(
      outside.waitUntilOnlySleeper(),
      "after \(operation.rawValue): cgroup holds \(outside.pids), wanted only \(outside.sleeper.pid)")
    #expect(outside.sleeper.isRunning, "\(operation.rawValue) killed a process that is not the container's")
    #expect(access("/proc/\(initPid)", F_OK) != 0 || !isLive(initPid), "the container's init \(initPid) survived")
    // hull did not make this cgroup: it must not remove it.
    #expect(
      sb.existingCgroupDirs(outside.path).count == HullTestEnv.hierarchies.count, "the pre-existing cgroup was removed")
  }

  @Test("a plain delete after a create killed part way (provisional state) spares the cgroup's other processes")
  func provisionalDeleteSpares() throws {
    let sb = try Sandbox("shared-cgroup-provisional")
    defer { sb.cleanup() }
    let outside = try OutsideCgroup(sb)
    defer { outside.stop() }
    sb.set("linux.cgroupsPath", .string(outside.path))
    // A prestart hook that takes its time: hull create is killed while it runs, when only the
    // provisional state (pid 0) exists and the init waits in the cgroup.
    sb.set("hooks.prestart", json: #"[{"path": "/bin/sleep", "args": ["sleep", "30"]}]"#)
    sb.script("exec sleep 1000")
    let id = sb.newID()
    let create = try sb.hullSpawn(["create", "--bundle", sb.bundle, id])
    var hookStarted = false
    for _ in 0..<500 {
      if childCommands(of: create.pid).contains("sleep") {
        hookStarted = true
        break
      }
      usleep(20_000)
    }
    try #require(hookStarted, "the prestart hook never ran: \(create.wait())")
    kill(create.pid, SIGKILL)
    _ = create.wait()
    #expect(access(sb.root + "/" + id + "/state.json", F_OK) == 0, "no provisional state left by the killed create")
    let delete = try sb.hull(["delete", id], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    // The init finds its parent gone and exits by itself; the sleeper stays.
    #expect(outside.waitUntilOnlySleeper(), "cgroup holds \(outside.pids), wanted only \(outside.sleeper.pid)")
    #expect(outside.sleeper.isRunning, "delete of a provisional container killed a process that is not the container's")
    #expect(access(sb.root + "/" + id, F_OK) != 0, "state directory left")
  }

  @Test("with a cgroup hull made, delete --force still kills everything in it (children that left the init's tree too)")
  func ownedCgroupIsKilledWhole() throws {
    let sb = try Sandbox("owned-cgroup")
    defer { sb.cleanup() }
    let namespaces = (sb.config["linux"]?["namespaces"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "pid" }
    sb.set("linux.namespaces", .array(namespaces))
    // A daemonized grandchild (reparented away from the init) in the host's pid namespace.
    sb.script("(sleep 1000 &) ; exec sleep 1000")
    let id = sb.newID()
    try #require(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    let procs = sb.cgroupDirs()[0] + "/cgroup.procs"
    for _ in 0..<250 where readText(procs).split(separator: "\n").count < 2 { usleep(20_000) }
    #expect(readText(procs).split(separator: "\n").count == 2, "cgroup holds \(readText(procs))")
    let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    sb.expectNothingLeft(id)
  }
}

/// Command names (comm) of the children of `pid`.
func childCommands(of pid: Int32) -> [String] {
  let children = readText("/proc/\(pid)/task/\(pid)/children").split(separator: " ").compactMap { Int32($0) }
  return children.map { readText("/proc/\($0)/comm").trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// A process that exists and is not a zombie.
func isLive(_ pid: Int32) -> Bool {
  let stat = readText("/proc/\(pid)/stat")
  guard let close = stat.lastIndex(of: ")") else { return false }
  return !stat[close...].hasPrefix(") Z") && !stat[close...].hasPrefix(") X")
}
