import Cgroups
import Glibc
import LinuxKit
import OCISpec

extension ContainerRecord {
  /// The container's cgroups; nil for a rootless container run without any (see Launcher).
  var cgroup: CgroupSet? {
    guard !cgroupPath.isEmpty else { return nil }
    let manager: CgroupManager = systemdUnit.isEmpty ? .cgroupfs : .systemd(unit: systemdUnit, user: systemdUser)
    return CgroupSet(host: CgroupHost.current(), path: cgroupPath, manager: manager)
  }

  func requireCgroup(operation: String) throws(RuntimeError) -> CgroupSet {
    guard let cgroup else {
      throw RuntimeError(
        operation, reason: "the container has no cgroup (rootless, without write access to the cgroup hierarchies)",
        errno: ENOTSUP)
    }
    return cgroup
  }
}

/// update and events: the container operations that work on its cgroup alone.
extension ContainerOps {
  /// The container's record and cgroup; refuses a stopped container.
  public func liveCgroup(_ id: String, operation: String) throws(RuntimeError) -> (
    record: ContainerRecord, cgroup: CgroupSet
  ) {
    let record = try store.load(id)
    if status(of: record) == .stopped {
      throw RuntimeError("\(operation) container \(id)", reason: "container is not running", errno: ESRCH)
    }
    return (record, try record.requireCgroup(operation: "\(operation) container \(id)"))
  }

  /// Writes the set fields of `resources` into a live container's cgroups; returns warnings.
  public func update(_ id: String, resources: Resources) throws(RuntimeError) -> [String] {
    let lock = try store.open(id)
    let (_, cgroup) = try liveCgroup(id, operation: "update")
    var warnings: [String] = []
    let limits = try CgroupPlanner.updateLimits(from: resources, warnings: &warnings)
    do { warnings += try cgroup.update(limits) } catch { throw RuntimeError(error) }
    _ = consume lock
    return warnings
  }
}
