import Glibc
import LinuxKit

/// pause/resume: v1 freezer.state (FROZEN/THAWED), v2 cgroup.freeze (1/0). Both wait
/// until the kernel reports every task frozen, so `pause` returning means frozen.
enum FreezerController {
  static func setV1(_ frozen: Bool, dir: String) throws(CgroupError) {
    try CgroupFiles.write(dir, "freezer.state", frozen ? "FROZEN" : "THAWED", field: nil)
    guard frozen else { return }
    // FREEZING can linger while tasks finish a syscall; re-writing FROZEN nudges them.
    for attempt in 0..<1000 {
      if CgroupFiles.value(dir, "freezer.state") == "FROZEN" { return }
      if attempt % 50 == 49 { try CgroupFiles.write(dir, "freezer.state", "FROZEN", field: nil) }
      usleep(1000)
    }
    throw CgroupError("freeze", dir + "/freezer.state", errno: EBUSY, detail: "tasks did not freeze within 1 s")
  }

  static func isFrozenV1(dir: String) -> Bool { CgroupFiles.value(dir, "freezer.state") == "FROZEN" }

  static func setV2(_ frozen: Bool, dir: String) throws(CgroupError) {
    try CgroupFiles.write(dir, "cgroup.freeze", frozen ? "1" : "0", field: nil)
    // cgroup.events says "frozen 1" once every task stopped (absent on a fake tree: done).
    guard CgroupFiles.exists(dir, "cgroup.events") else { return }
    let want: UInt64 = frozen ? 1 : 0
    for _ in 0..<1000 {
      if CgroupFiles.lookup(CgroupFiles.keyValues(dir, "cgroup.events"), "frozen") == want { return }
      usleep(1000)
    }
    throw CgroupError(
      frozen ? "freeze" : "thaw", dir + "/cgroup.events", errno: EBUSY,
      detail: "the cgroup did not report frozen \(want) within 1 s")
  }

  static func isFrozenV2(dir: String) -> Bool { CgroupFiles.value(dir, "cgroup.freeze") == "1" }

  /// Whether tasks placed in `dir` would stop: v1 FROZEN or FREEZING (itself or through an
  /// ancestor), v2 cgroup.freeze set or cgroup.events reporting frozen (an ancestor's freeze).
  static func stopsTasks(dir: String, v2: Bool) -> Bool {
    if !v2 { return (CgroupFiles.value(dir, "freezer.state") ?? "THAWED") != "THAWED" }
    return isFrozenV2(dir: dir) || CgroupFiles.lookup(CgroupFiles.keyValues(dir, "cgroup.events"), "frozen") == 1
  }
}

extension CgroupSet {
  /// The first of this cgroup's existing directories that would freeze a task moved into
  /// it, if any: a container placed there would stop before it could report (runc:
  /// "container's cgroup unexpectedly frozen").
  public var frozenDirectory: String? { frozenDirectory(made: []) }

  /// As `frozenDirectory`, without reading a hierarchy where `made` (what `create` just made)
  /// holds every level from just below its root: nothing froze a cgroup that new, and a
  /// hierarchy's root cannot be frozen.
  public func frozenDirectory(made: [String]) -> String? {
    if let hierarchy = host.hierarchy(for: "freezer"), !madeFromRoot(hierarchy.mountPoint, made),
      FreezerController.stopsTasks(dir: Paths.join(hierarchy.mountPoint, path), v2: false)
    {
      return Paths.join(hierarchy.mountPoint, path)
    }
    if let unified = host.unifiedMountPoint, !madeFromRoot(unified, made),
      FreezerController.stopsTasks(dir: Paths.join(unified, path), v2: true)
    {
      return Paths.join(unified, path)
    }
    return nil
  }

  private func madeFromRoot(_ mountPoint: String, _ made: [String]) -> Bool {
    guard let first = path.split(separator: "/").first else { return false }
    return made.contains(Paths.join(mountPoint, String(first)))
  }
}
