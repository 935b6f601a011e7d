// Issue 15: the state a container's cgroup is found in (frozen) or left in (child cgroups
// made by the container), handled as runc does.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("cgroups: frozen, nested", .enabled(if: Host.isCgroupV1, "the host has no v1 cgroup hierarchies"))
struct CgroupStateTests {
  static let freezer = "/sys/fs/cgroup/freezer"

  @Test(
    "create in a cgroup frozen beforehand fails at once (runc: unexpectedly frozen) and leaves nothing",
    .enabled(if: Host.hasFreezerV1, "no v1 freezer"))
  func preFrozenCgroupRefused() throws {
    let sb = try Sandbox("cg-frozen")
    defer { sb.cleanup() }
    let dir = Self.freezer + sb.cgroupPath
    #expect(mkdir(dir, 0o755) == 0)
    try "FROZEN".write(toFile: dir + "/freezer.state", atomically: false, encoding: .utf8)
    sb.script("echo must-not-run")
    let id = sb.newID()
    let started = Date()
    // Before the fix this call never returned: the init froze on arrival.
    let result = try sb.hull(["create", "--bundle", sb.bundle, id], timeout: 15)
    #expect(Date().timeIntervalSince(started) < 10, "create took \(Date().timeIntervalSince(started)) s")
    #expect(
      result.status != 0 && result.stderr.contains("unexpectedly frozen") && result.stderr.contains(dir), "\(result)")
    #expect(access(sb.root + "/" + id, F_OK) != 0, "state left behind")
    #expect(readText(dir + "/cgroup.procs").isEmpty, "a process was left in the frozen cgroup")
    #expect(sb.processesMentioningSandbox().isEmpty)
  }

  @Test(
    "a cgroup frozen while create runs (by a prestart hook) fails create within seconds, init killed",
    .enabled(if: Host.hasFreezerV1, "no v1 freezer"))
  func frozenDuringCreateRefused() throws {
    let sb = try Sandbox("cg-freezing")
    defer { sb.cleanup() }
    let state = Self.freezer + sb.cgroupPath + "/freezer.state"
    sb.set("hooks", json: #"{"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo FROZEN > \#(state)"]}]}"#)
    sb.script("echo must-not-run")
    let id = sb.newID()
    let started = Date()
    let result = try sb.hull(["create", "--bundle", sb.bundle, id], timeout: 20)
    #expect(Date().timeIntervalSince(started) < 10, "create took \(Date().timeIntervalSince(started)) s")
    #expect(result.status != 0 && result.stderr.contains("unexpectedly frozen"), "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test("delete --force removes the container's cgroup with the child cgroups made inside it, in every hierarchy")
  func deleteRemovesChildCgroups() throws {
    let sb = try Sandbox("cg-children")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    for dir in sb.cgroupDirs() {
      // What a container's own cgroup manager (systemd, a nested runtime) would make.
      #expect(mkdir(dir + "/child", 0o755) == 0 && mkdir(dir + "/child/grandchild", 0o755) == 0, "\(dir)")
    }
    let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    sb.expectNothingLeft(id)
  }

  @Test("each warning is printed once: unknown capability, memory.kernel")
  func warningsOnce() throws {
    let sb = try Sandbox("cg-warn-once")
    defer { sb.cleanup() }
    sb.set("ociVersion", .string("1.1.0"))
    let bounding = (sb.config["process"]?["capabilities"]?["bounding"]?.arrayValue ?? []) + [.string("CAP_HULL_BOGUS")]
    sb.set("process.capabilities.bounding", .array(bounding))
    sb.set("linux.resources.memory", json: #"{"kernel": 1048576}"#)
    sb.script("true")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.filter { $0.contains("CAP_HULL_BOGUS") }.count == 1, "\(result)")
    #expect(lines.filter { $0.contains("memory.kernel") }.count == 1, "\(result)")
  }

  @Test(
    "memory.kernelTCP lands in memory.kmem.tcp.limit_in_bytes where the host has it (crun)",
    .enabled(
      if: access("/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes", F_OK) == 0,
      "no v1 memory.kmem.tcp.limit_in_bytes"))
  func kernelTCPApplied() throws {
    let sb = try Sandbox("cg-kmem-tcp")
    defer { sb.cleanup() }
    sb.set("linux.resources.memory", json: #"{"kernelTCP": 8388608}"#)
    sb.script("exec sleep 30")
    let id = sb.newID()
    let run = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    #expect(run.status == 0 && !run.stderr.contains("kernelTCP"), "\(run)")
    let value = readText("/sys/fs/cgroup/memory" + sb.cgroupPath + "/memory.kmem.tcp.limit_in_bytes")
    #expect(value.trimmingCharacters(in: .whitespacesAndNewlines) == "8388608", "\(value)")
  }

  @Test("joining a cgroup that already holds processes warns, as runc does")
  func nonEmptyCgroupWarns() throws {
    let sb = try Sandbox("cg-non-empty")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let first = try sb.hull(["run", "-d", "--bundle", sb.bundle, sb.newID("first")])
    #expect(first.status == 0 && !first.stderr.contains("not empty"), "\(first)")
    let second = try sb.hull(["run", "-d", "--bundle", sb.bundle, sb.newID("second")])
    #expect(
      second.status == 0 && second.stderr.contains("cgroup \(sb.cgroupPath) is not empty: 1 process(es) found"),
      "\(second)")
  }

  @Test(
    "cpu.realtimeRuntime applies below cgroup levels hull creates (they get the runtime from their parent's budget)",
    .enabled(
      if: access("/sys/fs/cgroup/cpu/cpu.rt_runtime_us", F_OK) == 0, "no v1 cpu.rt_runtime_us (RT group scheduling)"))
  func realtimeBelowCreatedLevels() throws {
    let sb = try Sandbox("cg-rt")
    defer { sb.cleanup() }
    // The test run's own parent gets a budget (a new cgroup starts with none); the two levels
    // below it are hull's: without the grant the leaf's write fails with EINVAL.
    try "50000".write(
      toFile: "/sys/fs/cgroup/cpu" + HullTestEnv.cgroupParent + "/cpu.rt_runtime_us", atomically: false, encoding: .utf8
    )
    let path = sb.cgroupPath + "/inner"
    sb.set("linux.cgroupsPath", .string(path))
    sb.set("linux.resources.cpu", json: #"{"realtimeRuntime": 10000, "realtimePeriod": 1000000}"#)
    sb.script("exec sleep 30")
    let id = sb.newID()
    let run = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    #expect(run.status == 0, "\(run)")
    let value = readText("/sys/fs/cgroup/cpu" + path + "/cpu.rt_runtime_us").trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(value == "10000", "cpu.rt_runtime_us: \(value)")
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }
}
