// A fake cgroupfs on a temp dir: the hierarchies of a v1, hybrid or unified host, and
// one container cgroup whose control files exist (empty, or with a start value) so
// the drivers' writes land in plain files the tests read back.
import Cgroups
import Glibc
import LinuxKit

final class FakeCgroupFS {
  let root: String
  let host: CgroupHost
  let path = "/pod/ctr"
  var cgroup: CgroupSet { CgroupSet(host: host, path: path) }

  static let v1Files: [String: [String]] = [
    "cpu": [
      "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us", "cpu.rt_period_us",
      "cpu.rt_runtime_us", "cpu.idle", "cpu.stat",
    ],
    "cpuacct": ["cpuacct.usage", "cpuacct.usage_percpu", "cpuacct.stat"],
    "cpuset": ["cpuset.cpus", "cpuset.mems"],
    "memory": [
      "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness",
      "memory.oom_control", "memory.use_hierarchy", "memory.usage_in_bytes", "memory.stat", "cgroup.event_control",
    ],
    "devices": ["devices.allow", "devices.deny"],
    "freezer": ["freezer.state"],
    "blkio": [
      "blkio.weight", "blkio.leaf_weight", "blkio.weight_device", "blkio.leaf_weight_device",
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
    ],
    "pids": ["pids.max", "pids.current"],
    "hugetlb": ["hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes", "hugetlb.1GB.limit_in_bytes"],
    "net_cls": ["net_cls.classid"],
    "net_prio": ["net_prio.ifpriomap"],
    "rdma": ["rdma.max"],
  ]

  static let v2Files = [
    "cgroup.procs", "cgroup.freeze", "cgroup.subtree_control", "cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle",
    "cpu.stat", "cpuset.cpus", "cpuset.mems", "memory.max", "memory.low", "memory.swap.max", "memory.current",
    "memory.events", "memory.stat", "pids.max", "pids.current", "io.weight", "io.max", "io.stat",
    "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "rdma.max",
  ]

  /// `v1Controllers`: the v1 hierarchies to mount (v1 and hybrid modes).
  init(_ mode: CgroupHost.Mode, v1Controllers: [String] = CgroupHost.v1Controllers, withFiles: Bool = true) {
    var template = Array("/tmp/cgroupstests-fake-XXXXXX".utf8CString)
    root = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    host = CgroupHost(root: root, mode: mode, v1Controllers: v1Controllers)
    for h in host.v1 { try! Files.makeDirectories(h.mountPoint) }
    if let unified = host.unifiedMountPoint {
      try! Files.makeDirectories(unified)
      if mode == .unified { put(unified + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n") }
    }
    guard withFiles else { return }
    for h in host.v1 {
      let dir = Paths.join(h.mountPoint, path)
      try! Files.makeDirectories(dir)
      for c in h.controllers { for f in FakeCgroupFS.v1Files[c] ?? [] { put(dir + "/" + f, "") } }
      put(dir + "/cgroup.procs", "")
    }
    if let unified = cgroup.unifiedDirectory {
      try! Files.makeDirectories(unified)
      for f in mode == .unified ? FakeCgroupFS.v2Files : ["cgroup.procs", "cgroup.freeze", "cgroup.max.depth"] {
        put(unified + "/" + f, "")
      }
    }
  }

  deinit { Files.removeTree(root) }

  func put(_ file: String, _ text: String) { try! Files.write(file, Array(text.utf8)) }
  func remove(_ controller: String?, _ name: String) { unlink(dir(controller) + "/" + name) }

  /// The container's directory in a v1 hierarchy, or the unified one for nil.
  func dir(_ controller: String?) -> String {
    if let controller { return cgroup.directory(controller: controller)! }
    return cgroup.unifiedDirectory!
  }

  func read(_ controller: String?, _ name: String) -> String {
    Files.readIfPresent(dir(controller) + "/" + name) ?? "<missing>"
  }

  func set(_ controller: String?, _ name: String, _ text: String) { put(dir(controller) + "/" + name, text) }
}

/// The error text of a failing call, or "" when it did not fail.
func errorText(_ body: () throws -> Void) -> String {
  do { try body() } catch { return "\(error)" }
  return ""
}
