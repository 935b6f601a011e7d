/// cgroup v2 (unified) hosts: one directory, controllers enabled from the root down
/// through cgroup.subtree_control, v1 values converted as runc and crun do.
struct V2Driver: CgroupDriver {
  let cgroup: CgroupSet

  var dir: String { cgroup.unifiedDirectory ?? cgroup.path }

  func apply(_ l: CgroupLimits, update: Bool) throws(CgroupError) {
    try CPUController.v2(l, dir: dir, update: update)
    try MemoryController.v2(l, dir: dir, update: update)
    try PidsController.apply(l, dir: dir)
    try BlockIOController.v2(l, dir: dir)
    try HugetlbController.apply(l, dir: dir, v2: true)
    try NetworkController.v2(l)
    try RdmaController.apply(l, dir: dir)
    try DevicesController.v2(l.devices, dir: dir)
    try UnifiedController.apply(l, dir: dir)
  }

  /// A v2 cgroup only has the files of the controllers its parent enabled: enable every
  /// controller the root offers in each ancestor (runc does the same). One write per
  /// level; if the kernel refuses the set, each controller alone, ignoring refusals (a
  /// field whose controller stayed off then fails naming its missing file).
  func prepare() throws(CgroupError) {
    guard let root = cgroup.host.unifiedMountPoint else { return }
    let available = cgroup.host.unifiedControllers
    guard !available.isEmpty else { return }
    var level = root
    for component in cgroup.path.split(separator: "/") {
      let enabled = (CgroupFiles.value(level, "cgroup.subtree_control") ?? "").split(separator: " ").map(String.init)
      let missing = available.filter { !enabled.contains($0) }
      if !missing.isEmpty {
        do {
          try CgroupFiles.write(
            level, "cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "), field: nil)
        } catch {
          for c in missing { try? CgroupFiles.write(level, "cgroup.subtree_control", "+" + c, field: nil) }
        }
      }
      level += "/" + component
    }
  }

  func setFrozen(_ frozen: Bool) throws(CgroupError) { try FreezerController.setV2(frozen, dir: dir) }

  var isFrozen: Bool { FreezerController.isFrozenV2(dir: dir) }

  func stats() -> CgroupStats {
    var s = CgroupStats()
    CPUController.statsV2(dir: dir, into: &s)
    CPUController.cpusetStats(dir: dir, v2: true, into: &s)
    MemoryController.statsV2(dir: dir, into: &s)
    PidsController.stats(dir: dir, into: &s)
    BlockIOController.statsV2(dir: dir, into: &s)
    HugetlbController.stats(dir: dir, v2: true, into: &s)
    return s
  }

  func watchOOM() throws(CgroupError) -> OOMWatcher { try OOMWatcher.v2(dir: dir) }
}
