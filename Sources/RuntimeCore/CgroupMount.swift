import Cgroups
import Glibc
import LinuxKit

/// A `cgroup` mount on a v1 or hybrid host: a tmpfs at the destination, then the
/// container's own directory of each hierarchy bind-mounted under its name
/// (memory, cpu, …, unified), read-only when the mount asks for it. On a pure v2
/// host, a cgroup2 mount (the container runs in its cgroup namespace when it has one).
/// Called by RootfsSetup.mountAll with the init's rootfs (and its kernel).
enum CgroupMount {
  static func mount<K>(_ step: LaunchPlan.MountStep, plan: LaunchPlan, root: RootfsPath<K>) throws {
    let kernel = root.kernel
    let readonly = step.flags & UInt(MS_RDONLY) != 0
    let baseFlags = step.flags & ~UInt(MS_RDONLY)
    let fd = try root.open(step.destination, creating: .directory)
    defer { close(fd) }
    guard let cgroup = plan.cgroup else {
      // A rootless container without cgroups of its own: an empty tmpfs, so that the
      // host's hierarchies (reachable through a bind of /sys) do not show through.
      try kernel.mount(
        source: "tmpfs", target: Paths.procSelfFD(fd), type: "tmpfs", flags: step.flags,
        data: "mode=755", label: step.destination)
      return
    }
    if cgroup.host.mode == .unified {
      do {
        try kernel.mount(
          source: "cgroup2", target: Paths.procSelfFD(fd), type: "cgroup2", flags: step.flags, label: step.destination)
      } catch {
        guard error.errno == EPERM || error.errno == EBUSY else { throw error }
        try bindOwnCgroup(step, cgroup: cgroup, root: root)
      }
      return
    }
    try kernel.mount(
      source: "tmpfs", target: Paths.procSelfFD(fd), type: "tmpfs", flags: baseFlags, data: "mode=755",
      label: step.destination)
    // The tmpfs just mounted, held open: each hierarchy's directory is made under it, not
    // resolved again from the rootfs' root.
    let top = try root.open(step.destination, creating: nil)
    defer { close(top) }
    var mountPoints = cgroup.host.v1.map(\.mountPoint)
    if let unified = cgroup.host.unifiedMountPoint { mountPoints.append(unified) }
    let bind = UInt(MS_BIND) | UInt(MS_REC)
    let remountFlags = UInt(MS_BIND) | UInt(MS_REMOUNT) | baseFlags | (readonly ? UInt(MS_RDONLY) : 0)
    for mountPoint in mountPoints {
      let name = Paths.basename(mountPoint)
      let target = step.destination + "/" + name
      let source = Paths.join(mountPoint, cgroup.path)
      if try root.makeDirectory(name, in: top, label: target) {
        // Made just now in a tmpfs this init mounted, in a mount namespace no container process
        // has entered yet: the name under the tmpfs' fd is that directory, and after the bind
        // the same path is the new mount. Three syscalls a hierarchy, no fd of its own.
        let path = Paths.procSelfFD(top) + "/" + name
        try kernel.mount(source: source, target: path, type: nil, flags: bind, label: target)
        try kernel.mount(source: nil, target: path, type: nil, flags: remountFlags, label: target)
        continue
      }
      // Already there (two hierarchies of one name): reached through fds, a symlink refused.
      let dir = try root.openDirectory(name, in: top, label: target)
      defer { close(dir) }
      try kernel.mount(source: source, target: Paths.procSelfFD(dir), type: nil, flags: bind, label: target)
      // `dir` is the directory under the bind mount; the remount needs the mount itself.
      let mounted = try root.openDirectory(name, in: top, label: target)
      defer { close(mounted) }
      try kernel.mount(source: nil, target: Paths.procSelfFD(mounted), type: nil, flags: remountFlags, label: target)
    }
    if readonly {
      try kernel.mount(
        source: nil, target: Paths.procSelfFD(top), type: nil,
        flags: UInt(MS_REMOUNT) | baseFlags | UInt(MS_RDONLY), data: "mode=755", label: step.destination)
    }
  }

  /// In a user namespace (rootless under a systemd user manager) cgroup2 cannot be mounted over
  /// the host's (bound in with /sys): the container's own cgroup is bound instead, as runc does.
  static func bindOwnCgroup<K>(_ step: LaunchPlan.MountStep, cgroup: CgroupSet, root: RootfsPath<K>) throws {
    let kernel = root.kernel
    let source = Paths.join(cgroup.host.unifiedMountPoint ?? "/sys/fs/cgroup", cgroup.path)
    let fd = try root.open(step.destination, creating: nil)
    defer { close(fd) }
    try kernel.mount(
      source: source, target: Paths.procSelfFD(fd), type: nil, flags: UInt(MS_BIND) | UInt(MS_REC),
      label: step.destination)
    let mounted = try root.open(step.destination, creating: nil)
    defer { close(mounted) }
    try kernel.mount(
      source: nil, target: Paths.procSelfFD(mounted), type: nil,
      flags: UInt(MS_BIND) | UInt(MS_REMOUNT) | UInt(MS_REC) | step.flags, label: step.destination)
  }
}
