// hull's cgroup v2 driver on a real v2 kernel: every linux.resources family lands in the unified hierarchy's
// files, placement, cgroup namespace, update, pause/resume through cgroup.freeze, OOM in memory.events, the
// device BPF program, and delete. This host is hybrid: the test command runs this suite in `drydock vm
// --cgroup v2` (scripts/test's v2 group); on a host without a pure v2 hierarchy it skips with the reason.
import Foundation
import Glibc
import Testing

@Suite(
  "cgroup v2 (real kernel)", .serialized,
  .enabled(if: Host.isCgroupV2, "the host's /sys/fs/cgroup is not a cgroup2 mount: run in `drydock vm --cgroup v2`"))
struct CgroupV2Tests {
  static let root = "/sys/fs/cgroup"

  static func has(_ controller: String) -> Bool {
    readText(root + "/cgroup.controllers").split(separator: " ").contains {
      $0.trimmingCharacters(in: .whitespacesAndNewlines) == controller
    }
  }

  func file(_ sb: Sandbox, _ name: String) -> String {
    readText(Self.root + sb.cgroupPath + "/" + name).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test("every resource family lands in the v2 files, converted from v1 values as runc does")
  func limits() throws {
    let sb = try Sandbox("v2-limits")
    defer { sb.cleanup() }
    sb.set("linux.resources.memory", json: #"{"limit": 67108864, "reservation": 33554432, "swap": 100663296}"#)
    sb.set("linux.resources.pids", json: #"{"limit": 42}"#)
    sb.set(
      "linux.resources.cpu",
      json: #"{"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0", "idle": 0}"#)
    if Self.has("hugetlb") {
      sb.set("linux.resources.hugepageLimits", json: #"[{"pageSize": "2MB", "limit": 4194304}]"#)
    }
    sb.set("linux.resources.unified", json: #"{"memory.high": "50331648", "memory.oom.group": "1"}"#)
    sb.script("exec sleep 30")
    let id = sb.newID()
    let create = try sb.create(id)
    #expect(create.status == 0, "\(create)")
    #expect(file(sb, "memory.max") == "67108864")
    #expect(file(sb, "memory.low") == "33554432")
    if FileManager.default.fileExists(atPath: Self.root + sb.cgroupPath + "/memory.swap.max") {
      #expect(file(sb, "memory.swap.max") == "\(100_663_296 - 67_108_864)")  // v1 swap is memory+swap
    }
    #expect(file(sb, "memory.high") == "50331648")
    #expect(file(sb, "memory.oom.group") == "1")
    #expect(file(sb, "pids.max") == "42")
    #expect(file(sb, "cpu.max") == "50000 100000")
    #expect(file(sb, "cpu.weight") == "\(1 + ((1024 - 2) * 9999) / 262142)")
    #expect(file(sb, "cpuset.cpus") == "0")
    if Self.has("hugetlb") { #expect(file(sb, "hugetlb.2MB.max") == "4194304") }
    // The controllers were enabled on the way down (subtree_control of the parent).
    let parent = readText(Self.root + HullTestEnv.cgroupParent + "/cgroup.subtree_control")
    for c in ["memory", "pids", "cpu"] { #expect(parent.contains(c), "\(parent)") }
  }

  @Test("the init is placed before create returns; with a cgroup namespace it sees itself at /")
  func placementAndNamespace() throws {
    let sb = try Sandbox("v2-place")
    defer { sb.cleanup() }
    sb.set(
      "linux.namespaces",
      json: #"[{"type":"pid"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"network"},{"type":"cgroup"}]"#)
    sb.script("cat /proc/self/cgroup; ls /sys/fs/cgroup/memory.max >/dev/null && echo own-files; exec sleep 30")
    let id = sb.newID()
    let create = try sb.create(id)
    #expect(create.status == 0, "\(create)")
    let pid = try sb.pid(id)
    #expect(readText("/proc/\(pid)/cgroup") == "0::\(sb.cgroupPath)\n")
    #expect(
      readText(Self.root + sb.cgroupPath + "/cgroup.procs").split(separator: "\n").compactMap { Int32($0) } == [pid])
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    let seen = sb.waitForFile(create.stdoutPath, containing: "own-files")
    #expect(seen?.hasPrefix("0::/\n") == true, "inside: \(seen ?? "nothing")")
  }

  @Test("update, pause and resume go through memory.max and cgroup.freeze")
  func updatePauseResume() throws {
    let sb = try Sandbox("v2-freeze")
    defer { sb.cleanup() }
    sb.set("linux.resources.memory", json: #"{"limit": 67108864}"#)
    sb.script("exec sleep 30")
    let id = sb.newID()
    #expect(try sb.create(id).status == 0)
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(try sb.hull(["update", "--memory", "33554432", id], writeConfig: false).status == 0)
    #expect(file(sb, "memory.max") == "33554432")
    #expect(try sb.hull(["pause", id], writeConfig: false).status == 0)
    #expect(file(sb, "cgroup.freeze") == "1")
    #expect(readText(Self.root + sb.cgroupPath + "/cgroup.events").contains("frozen 1"))
    #expect(sb.status(id) == "paused")
    #expect(try sb.hull(["resume", id], writeConfig: false).status == 0)
    #expect(file(sb, "cgroup.freeze") == "0")
    #expect(sb.status(id) == "running")
  }

  @Test("an OOM kill shows in memory.events")
  func oomKill() throws {
    let sb = try Sandbox("v2-oom")
    defer { sb.cleanup() }
    sb.set("linux.resources.memory", json: #"{"limit": 16777216, "swap": 16777216}"#)
    // busybox tail keeps a whole line in memory: 64 MiB of zeros without a newline is one line.
    sb.script("head -c 67108864 /dev/zero | tail >/dev/null; echo survived")
    let id = sb.newID()
    #expect(try sb.create(id).status == 0)
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped", seconds: 20))
    let events = readText(Self.root + sb.cgroupPath + "/memory.events")
    let kills =
      events.split(separator: "\n").first { $0.hasPrefix("oom_kill ") }.flatMap { Int($0.split(separator: " ")[1]) }
      ?? 0
    #expect(kills >= 1, "memory.events: \(events)")
  }

  @Test("the device BPF program denies what the rules deny and allows what they allow")
  func deviceProgram() throws {
    let sb = try Sandbox("v2-devices")
    defer { sb.cleanup() }
    // /dev/kmsg (1:11) is in no default rule: denied unless a rule allows it; /dev/null stays allowed.
    sb.set("linux.devices", json: #"[{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 420}]"#)
    // Written, not read: reading /dev/kmsg also needs CAP_SYSLOG where dmesg_restrict is set (an EPERM of its own).
    sb.script("echo x > /dev/null && echo null-ok; echo drydock-v2-device-test > /dev/kmsg && echo kmsg-written")
    let denied = try sb.runContainer(sb.newID())
    #expect(denied.stdout.contains("null-ok") && !denied.stdout.contains("kmsg-written"), "\(denied)")
    #expect(denied.stderr.contains("Operation not permitted"), "\(denied)")
    sb.set("linux.resources.devices", json: #"[{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]"#)
    let allowed = try sb.runContainer(sb.newID("allowed"))
    #expect(allowed.stdout.contains("null-ok") && allowed.stdout.contains("kmsg-written"), "\(allowed)")
  }

  @Test("delete removes the container's cgroup")
  func deleteRemovesTheCgroup() throws {
    let sb = try Sandbox("v2-delete")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    #expect(try sb.create(id).status == 0)
    #expect(FileManager.default.fileExists(atPath: Self.root + sb.cgroupPath))
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    #expect(!FileManager.default.fileExists(atPath: Self.root + sb.cgroupPath))
  }
}
