// The basic cgroup duties of issue 2 (issue 3 does the rest): the init is in its cgroup
// in every hierarchy before create returns, limits land in the files, pause/resume,
// ps, and delete removes exactly the directories it created.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("cgroups (basic)", .enabled(if: Host.isCgroupV1, "the host has no v1 cgroup hierarchies"))
struct CgroupTests {
  @Test("the init is in the container's cgroup in every hierarchy before create returns")
  func initPlacedBeforeCreateReturns() throws {
    let sb = try Sandbox("cg-placement")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    let pid = try sb.pid(id)
    let lines = readText("/proc/\(pid)/cgroup").split(separator: "\n")
    #expect(!lines.isEmpty)
    for line in lines {
      // "4:memory:/path" or "0::/path"
      let path = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).last.map(String.init) ?? ""
      #expect(path == sb.cgroupPath, "\(line)")
    }
    for dir in sb.cgroupDirs() {
      let procs = readText(dir + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) }
      #expect(procs == [pid], "\(dir): \(procs)")
    }
  }

  @Test("memory and pids limits land in the cgroup files, seen from the host and inside")
  func limits() throws {
    let sb = try Sandbox("cg-limits")
    defer { sb.cleanup() }
    sb.set("linux.resources.memory", json: #"{"limit": 67108864}"#)
    sb.set("linux.resources.pids", json: #"{"limit": 42}"#)
    sb.script("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; exec sleep 30")
    let id = sb.newID()
    let create = try sb.create(id)
    let memory = HullTestEnv.hierarchies.first { $0.hasSuffix("/memory") }.map { $0 + sb.cgroupPath }
    let pids = HullTestEnv.hierarchies.first { $0.hasSuffix("/pids") }.map { $0 + sb.cgroupPath }
    if let memory { #expect(readText(memory + "/memory.limit_in_bytes") == "67108864\n") }
    if let pids { #expect(readText(pids + "/pids.max") == "42\n") }
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline && readText(create.stdoutPath).split(separator: "\n").count < 2 { usleep(20_000) }
    #expect(
      readText(create.stdoutPath) == "67108864\n42\n",
      "the container's own cgroup is not what it sees at /sys/fs/cgroup")
  }

  @Test("pids.max is enforced: fork fails past the limit")
  func pidsEnforced() throws {
    let sb = try Sandbox("cg-pids")
    defer { sb.cleanup() }
    sb.set("linux.resources.pids", json: #"{"limit": 3}"#)
    sb.script("for i in 1 2 3 4 5; do sleep 5 & done 2>&1; echo started")
    let result = try sb.runContainer(sb.newID())
    #expect((result.stdout + result.stderr).contains("can't fork"), "no fork failure past pids.max=3: \(result)")
    #expect(!result.stdout.contains("started"), "\(result)")
  }

  @Test("pause and resume freeze and thaw the container", .enabled(if: Host.hasFreezerV1, "no v1 freezer"))
  func pauseResume() throws {
    let sb = try Sandbox("cg-freeze")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("while true; do date +%s%N > /tmp/tick; sleep 0.02; done")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    #expect(sb.waitForFile(sb.shared + "/tick") != nil)
    let freezer = "/sys/fs/cgroup/freezer" + sb.cgroupPath + "/freezer.state"

    let pause = try sb.hull(["pause", id], writeConfig: false)
    #expect(pause.status == 0, "\(pause)")
    #expect(readText(freezer) == "FROZEN\n")
    #expect(sb.status(id) == "paused")
    let frozenTick = readText(sb.shared + "/tick")
    usleep(200_000)
    #expect(readText(sb.shared + "/tick") == frozenTick, "the container kept running while paused")
    let again = try sb.hull(["pause", id], writeConfig: false)
    #expect(again.status != 0, "pausing a paused container: \(again)")

    let resume = try sb.hull(["resume", id], writeConfig: false)
    #expect(resume.status == 0, "\(resume)")
    #expect(readText(freezer) == "THAWED\n")
    #expect(sb.status(id) == "running")
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline && readText(sb.shared + "/tick") == frozenTick { usleep(20_000) }
    #expect(readText(sb.shared + "/tick") != frozenTick, "the container did not run again after resume")
    let resumeRunning = try sb.hull(["resume", id], writeConfig: false)
    #expect(resumeRunning.status != 0, "\(resumeRunning)")

    // A paused container can still be deleted with --force.
    #expect(try sb.hull(["pause", id], writeConfig: false).status == 0)
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("ps --format json lists the container's pids")
  func ps() throws {
    let sb = try Sandbox("cg-ps")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("sleep 30 & echo $! > /tmp/child; wait")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    #expect(sb.waitForFile(sb.shared + "/child") != nil)
    let result = try sb.hull(["ps", "--format", "json", id], writeConfig: false)
    #expect(result.status == 0, "\(result)")
    let pids = (try JSON.parse(result.stdout)).arrayValue?.compactMap(\.int64Value) ?? []
    #expect(pids.contains(Int64(try sb.pid(id))), "\(result)")
    #expect(pids.count == 2, "the init and its sleep: \(result)")
    let table = try sb.hull(["ps", id], writeConfig: false)
    let initPid = String(try sb.pid(id))
    #expect(table.status == 0 && table.stdout.contains(initPid), "\(table)")
    // As runc: ps(1)'s own table (-ef), filtered to the container's processes; ps options after the id.
    let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    #expect(rows.first == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], "\(table)")
    #expect(Set(rows.dropFirst().map { $0.count > 1 ? $0[1] : "" }) == Set(pids.map(String.init)), "\(table)")
    let custom = try sb.hull(["ps", id, "-o", "pid,comm"], writeConfig: false)
    let customRows = custom.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    #expect(custom.status == 0 && customRows.first == ["PID", "COMMAND"] && customRows.count == 3, "\(custom)")
    #expect(customRows.dropFirst().allSatisfy { $0.count == 2 && pids.contains(Int64($0[0]) ?? 0) }, "\(custom)")

    // kill --all reaches every process in the cgroup.
    #expect(try sb.hull(["kill", "--all", id, "KILL"], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
  }

  @Test("delete removes the cgroup directories it created and keeps a pre-existing parent")
  func deleteKeepsParent() throws {
    let sb = try Sandbox("cg-parent")
    defer { sb.cleanup() }
    let parent = sb.cgroupPath + "-parent"
    sb.ownCgroup(parent)
    for hierarchy in HullTestEnv.hierarchies {
      let dir = hierarchy + parent
      #expect(mkdir(dir, 0o755) == 0 || errno == EEXIST)
      for file in ["cpuset.cpus", "cpuset.mems"]
      where access(hierarchy + HullTestEnv.cgroupParent + "/" + file, F_OK) == 0 {
        try? readText(hierarchy + HullTestEnv.cgroupParent + "/" + file).write(
          toFile: dir + "/" + file, atomically: false, encoding: .utf8)
      }
    }
    let path = parent + "/level1/level2"
    sb.set("linux.cgroupsPath", .string(path))
    sb.script("exec sleep 30")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    #expect(sb.existingCgroupDirs(path).count == HullTestEnv.hierarchies.count)
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    #expect(
      sb.existingCgroupDirs(parent + "/level1").isEmpty,
      "created levels left: \(sb.existingCgroupDirs(parent + "/level1"))")
    #expect(sb.existingCgroupDirs(parent).count == HullTestEnv.hierarchies.count, "the pre-existing parent was removed")
  }

  @Test("without cgroupsPath, hull does not use the caller's cgroup", .enabled(if: HullTestEnv.isRoot))
  func defaultPathIsNotCallersCgroup() throws {
    // Only checks the plan through the binary's error path: a relative cgroupsPath is placed
    // under hull's own default parent, never in the machine's control cgroup.
    let sb = try Sandbox("cg-relative")
    defer { sb.cleanup() }
    let relative = "hull-test-\(getpid())-relative-\(Sandbox.counter.next())"
    sb.set("linux.cgroupsPath", .string(relative))
    sb.script("cat /proc/self/cgroup")
    let id = sb.newID()
    let result = try sb.runContainer(id)
    sb.ownCgroup("/" + relative)
    #expect(result.status == 0, "\(result)")
    #expect(!result.stdout.contains("process_api"), "placed under the caller's cgroup: \(result)")
    #expect(sb.existingCgroupDirs("/" + relative).isEmpty, "left behind: \(sb.existingCgroupDirs("/" + relative))")
  }
}
