/// cgroup v1 (and hybrid) hosts: one directory per hierarchy, each controller written
/// in its own hierarchy. On hybrid hosts the unified directory is only a placement
/// (runc and crun do the same) and the target of linux.resources.unified keys.
struct V1Driver: CgroupDriver {
  let cgroup: CgroupSet

  func dir(_ controller: String) -> String? { cgroup.directory(controller: controller) }

  func apply(_ l: CgroupLimits, update: Bool) throws(CgroupError) {
    // runc's order: cpuset first (a task needs cpus/mems), devices, then the limits.
    try CPUController.cpusetV1(l, dir: dir("cpuset"))
    try DevicesController.v1(l.devices, dir: dir("devices"))
    try MemoryController.v1(l, dir: dir("memory"))
    try CPUController.v1(l, dir: dir("cpu"))
    try PidsController.apply(l, dir: dir("pids"))
    try BlockIOController.v1(l, dir: dir("blkio"))
    try HugetlbController.apply(l, dir: dir("hugetlb"), v2: false)
    try NetworkController.v1(l, netCls: dir("net_cls"), netPrio: dir("net_prio"))
    try RdmaController.apply(l, dir: dir("rdma"))
    try UnifiedController.apply(l, dir: cgroup.unifiedDirectory)
  }

  func prepare() throws(CgroupError) {}

  func setFrozen(_ frozen: Bool) throws(CgroupError) {
    if let dir = dir("freezer") { return try FreezerController.setV1(frozen, dir: dir) }
    // Hybrid without a v1 freezer: the unified hierarchy's core freezer needs no controller.
    if let dir = cgroup.unifiedDirectory, CgroupFiles.exists(dir, "cgroup.freeze") {
      return try FreezerController.setV2(frozen, dir: dir)
    }
    throw CgroupError(
      frozen ? "pause" : "resume", cgroup.path, errno: ENOTSUP_, detail: "no freezer controller is mounted")
  }

  var isFrozen: Bool {
    if let dir = dir("freezer") { return FreezerController.isFrozenV1(dir: dir) }
    if let dir = cgroup.unifiedDirectory { return FreezerController.isFrozenV2(dir: dir) }
    return false
  }

  func stats() -> CgroupStats {
    var s = CgroupStats()
    CPUController.statsV1(cpuacct: dir("cpuacct"), cpu: dir("cpu"), into: &s)
    if let d = dir("cpuset") { CPUController.cpusetStats(dir: d, v2: false, into: &s) }
    if let d = dir("memory") { MemoryController.statsV1(dir: d, into: &s) }
    if let d = dir("pids") { PidsController.stats(dir: d, into: &s) }
    if let d = dir("blkio") { BlockIOController.statsV1(dir: d, into: &s) }
    if let d = dir("hugetlb") { HugetlbController.stats(dir: d, v2: false, into: &s) }
    return s
  }

  func watchOOM() throws(CgroupError) -> OOMWatcher {
    guard let d = dir("memory") else { throw .missingController("OOM events", "memory") }
    return try OOMWatcher.v1(dir: d)
  }
}
