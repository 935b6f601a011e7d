import Cgroups
import LinuxKit

/// create under --systemd-cgroup: what the launcher does instead of making the cgroup itself.
/// The unit's cgroup exists only once systemd has the init's pid, so the init is cloned in
/// hull's own cgroup, waits (the launcher's waitForParent), and is moved by
/// StartTransientUnit(PIDs=[pid]) before it does anything of the container's; then the files.
/// runc 1.1.5 and crun order it the same way (the init blocks on its bootstrap pipe until the
/// parent has applied the cgroup manager).
enum SystemdPlacement {
  /// A user manager's unit: the cgroup path below the manager's own cgroup (one bus call).
  static func resolvePath(_ plan: inout LaunchPlan) throws(RuntimeError) {
    guard let unit = plan.systemdUnit, unit.user, let cgroup = plan.cgroup else { return }
    do {
      plan.cgroup = CgroupSet(host: cgroup.host, path: try CgroupSet.userSystemdPath(unit), manager: cgroup.manager)
    } catch { throw RuntimeError(error) }
  }

  /// The provisional record names the unit before it is asked for, and no directory: those
  /// systemd makes are its own to remove (stopping the unit does).
  static func name(_ plan: LaunchPlan, in record: inout ContainerRecord) {
    guard let unit = plan.systemdUnit else { return }
    record.systemdUnit = unit.name
    record.systemdUser = unit.user
    record.cgroupCreated = []
  }

  /// Starts the unit holding `pid`, with the resource properties systemd owns; on v1 and
  /// hybrid hosts makes the same path in the hierarchies systemd does not manage (cpuset,
  /// freezer, hugetlb, net_cls, …: recorded before they are made) and puts the init there,
  /// as runc's joinCgroups does; then writes every limit to the files (runc's Set).
  static func place(
    pid: Int32, unit: SystemdUnit, cgroup: CgroupSet, plan: inout LaunchPlan, record: inout ContainerRecord,
    store: StateStore, cleanup: inout Launcher.Cleanup
  ) throws(RuntimeError) {
    do { plan.warnings += try cgroup.startSystemdUnit(unit, pid: pid, limits: plan.cgroupLimits) } catch {
      throw RuntimeError(error)
    }
    DebugTrace.step("create \(plan.id): systemd unit \(unit.name) started with the init")
    let missing = cgroup.missingDirectories()
    if !missing.isEmpty {
      record.cgroupCreated = missing
      try store.save(record)
    }
    do { cleanup.cgroupCreated = try cgroup.create() } catch { throw RuntimeError(error) }
    if cleanup.cgroupCreated != record.cgroupCreated {
      record.cgroupCreated = cleanup.cgroupCreated
      try store.save(record)
    }
    do {
      try cgroup.attach(pid: pid, placedInUnified: true)
      try cgroup.apply(plan.cgroupLimits)
    } catch { throw RuntimeError(error) }
  }
}
