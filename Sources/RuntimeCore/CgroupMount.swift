import Cgroups
import Glibc
import LinuxKit

/// A `cgroup` mount on a v1 or hybrid host: a tmpfs at the destination, then the
/// container's own directory of each hierarchy bind-mounted under its name
/// (memory, cpu, …, unified), read-only when the mount asks for it. On a pure v2
/// host, a cgroup2 mount (the container runs in its cgroup namespace when it has one).
enum CgroupMount {
  static func mount(_ step: LaunchPlan.MountStep, plan: LaunchPlan, root: RootfsPath) throws {
    let readonly = step.flags & UInt(MS_RDONLY) != 0
    let baseFlags = step.flags & ~UInt(MS_RDONLY)
    let fd = try root.open(step.destination, creating: .directory)
    defer { close(fd) }
    guard let cgroup = plan.cgroup else {
      // A rootless container without cgroups of its own: an empty tmpfs, so that the
      // host's hierarchies (reachable through a bind of /sys) do not show through.
      try Mounts.mount(source: "tmpfs", target: RootfsPath.procPath(fd), type: "tmpfs", flags: step.flags,
                       data: "mode=755", label: step.destination)
      return
    }
    if cgroup.host.mode == .unified {
      do {
        try Mounts.mount(source: "cgroup2", target: RootfsPath.procPath(fd), type: "cgroup2", flags: step.flags, label: step.destination)
      } catch {
        guard error.errno == EPERM || error.errno == EBUSY else { throw error }
        try bindOwnCgroup(step, cgroup: cgroup, root: root)
      }
      return
    }
    try Mounts.mount(source: "tmpfs", target: RootfsPath.procPath(fd), type: "tmpfs", flags: baseFlags, data: "mode=755",
                     label: step.destination)
    var mountPoints = cgroup.host.v1.map(\.mountPoint)
    if let unified = cgroup.host.unifiedMountPoint { mountPoints.append(unified) }
    for mountPoint in mountPoints {
      let name = Paths.basename(mountPoint)
      let target = step.destination + "/" + name
      let dir = try root.open(target, creating: .directory)
      defer { close(dir) }
      let source = Paths.join(mountPoint, cgroup.path)
      let procTarget = RootfsPath.procPath(dir)
      try Mounts.mount(source: source, target: procTarget, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC), label: target)
      let mounted = try root.open(target, creating: nil)
      defer { close(mounted) }
      try Mounts.mount(source: nil, target: RootfsPath.procPath(mounted), type: nil,
                       flags: UInt(MS_BIND) | UInt(MS_REMOUNT) | baseFlags | (readonly ? UInt(MS_RDONLY) : 0), label: target)
    }
    if readonly {
      let top = try root.open(step.destination, creating: nil)
      defer { close(top) }
      try Mounts.mount(source: nil, target: RootfsPath.procPath(top), type: nil,
                       flags: UInt(MS_REMOUNT) | baseFlags | UInt(MS_RDONLY), data: "mode=755", label: step.destination)
    }
  }

  /// In a user namespace (rootless under a systemd user manager) cgroup2 cannot be mounted over
  /// the host's (bound in with /sys): the container's own cgroup is bound instead, as runc does.
  static func bindOwnCgroup(_ step: LaunchPlan.MountStep, cgroup: CgroupSet, root: RootfsPath) throws {
    let source = Paths.join(cgroup.host.unifiedMountPoint ?? "/sys/fs/cgroup", cgroup.path)
    let fd = try root.open(step.destination, creating: nil)
    defer { close(fd) }
    try Mounts.mount(source: source, target: RootfsPath.procPath(fd), type: nil, flags: UInt(MS_BIND) | UInt(MS_REC),
                     label: step.destination)
    let mounted = try root.open(step.destination, creating: nil)
    defer { close(mounted) }
    try Mounts.mount(source: nil, target: RootfsPath.procPath(mounted), type: nil,
                     flags: UInt(MS_BIND) | UInt(MS_REMOUNT) | UInt(MS_REC) | step.flags, label: step.destination)
  }
}
