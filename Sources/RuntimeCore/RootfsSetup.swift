import Glibc
import LinuxKit

/// The container's mount namespace: mounts in order, devices, pivot_root, masked and
/// read-only paths. Runs in the child only. Every target inside the rootfs is resolved
/// with RootfsPath, so a symlink in the image cannot send a mount to the host. Every call
/// goes through the context's kernel.
enum RootfsSetup {
  static func prepare<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    if plan.sharesMountNamespace { return try prepareInSharedNamespace(plan, context) }
    // Keep our mounts from propagating to the host (rslave by default, as runc). A shared
    // "/" would make pivot_root fail (EINVAL) and an unbindable one the rootfs bind below:
    // those are applied after pivot_root instead.
    var rootFlags = plan.rootfsPropagation
    if rootFlags & (UInt(MS_SHARED) | UInt(MS_UNBINDABLE)) != 0 { rootFlags = UInt(MS_SLAVE) | UInt(MS_REC) }
    try kernel.mount(source: nil, target: "/", type: nil, flags: rootFlags, label: "/ (rootfs propagation)")
    // A recursive slave or private "/" leaves no shared parent: skip reading mountinfo then.
    let recursive = plan.rootfsPropagation & UInt(MS_REC) != 0
    let shared = plan.rootfsPropagation & UInt(MS_SHARED) != 0
    if !recursive || shared { try makeParentMountPrivate(plan.rootfs, kernel) }
    // pivot_root needs the new root to be a mount point.
    try kernel.mount(source: plan.rootfs, target: plan.rootfs, type: nil, flags: UInt(MS_BIND) | UInt(MS_REC))
    let root = try RootfsPath(root: plan.rootfs, kernel: kernel)
    defer { root.close() }
    var made: [String] = []
    try mountAll(plan, root: root, made: &made)
  }

  /// Without a mount namespace of its own the container's mounts land in the runtime's
  /// namespace (as with runc and crun, which leave them there): no propagation change
  /// of the host's "/", no self-bind (chroot needs none), and what was mounted before a
  /// failure is detached again.
  static func prepareInSharedNamespace<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    let root = try RootfsPath(root: plan.rootfs, kernel: kernel)
    defer { root.close() }
    var made: [String] = []
    do {
      try mountAll(plan, root: root, made: &made)
    } catch {
      for destination in made.reversed() {
        guard let fd = try? root.open(destination, creating: nil) else { continue }
        // Best effort: the error being thrown is the one to report.
        _ = kernel.umount2(Paths.procSelfFD(fd), Int32(MNT_DETACH))
        close(fd)
      }
      throw error
    }
  }

  /// The config's mounts in order, the devices and the working directory; `made` collects
  /// the destinations mounted on.
  static func mountAll<K>(_ plan: LaunchPlan, root: RootfsPath<K>, made: inout [String]) throws {
    for step in plan.mounts {
      if step.isCgroup {
        try CgroupMount.mount(step, plan: plan, root: root)
      } else {
        try mount(step, root: root)
      }
      made.append(step.destination)
    }
    try createDevices(plan, root: root, made: &made)
    try ensureDirectory(plan.process.cwd, root: root)
  }

  /// runc's rootfsParentMountPrivate: if the mount holding the rootfs is shared (a
  /// non-recursive rootfsPropagation leaves it so), pivot_root fails with EINVAL and our
  /// mounts would propagate to the host. Make it private in our namespace.
  static func makeParentMountPrivate<K: Syscalls>(_ rootfs: String, _ kernel: K) throws {
    guard let text = kernel.readText("/proc/self/mountinfo") else { throw SystemError("read", "/proc/self/mountinfo") }
    var best: (point: String, shared: Bool)?
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count > 6 else { continue }
      let point = String(fields[4])
      guard point == "/" || point == rootfs || rootfs.hasPrefix(point + "/") else { continue }
      if let current = best, current.point.count > point.count { continue }
      best = (point, fields[6...].prefix { $0 != "-" }.contains { $0.hasPrefix("shared:") })
    }
    if let best, best.shared {
      try kernel.mount(
        source: nil, target: best.point, type: nil, flags: UInt(MS_PRIVATE),
        label: best.point + " (parent of the rootfs)")
    }
  }

  static func mount<K>(_ step: LaunchPlan.MountStep, root: RootfsPath<K>) throws {
    let kernel = root.kernel
    let kernelFS = step.type == "proc" || step.type == "sysfs"
    let inheritedMode = step.type == "tmpfs" ? modeWithoutOption(step, root: root) : nil
    let fd = try root.open(step.destination, creating: step.targetIsFile ? .file : .directory, noFollow: kernelFS)
    var st = stat()
    if kernelFS && (fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR) {
      close(fd)
      // As runc: a symlink here would put the host's procfs or sysfs wherever it points.
      throw RuntimeError(
        "mount \(step.type!) on", step.destination,
        reason: "must be mounted on an ordinary directory, not a symlink or file", errno: ENOTDIR)
    }
    let target = Paths.procSelfFD(fd)
    defer { close(fd) }
    if step.detachedTreeFD >= 0 {
      // Opened (and idmapped) by the launcher on the host side: see BindSources.
      _ = try check("move_mount", step.destination) { kernel.moveMount(step.detachedTreeFD, onto: fd) }
    } else {
      try kernel.mount(
        source: step.source ?? step.type ?? "none", target: target, type: step.type, flags: step.flags,
        data: step.data, label: step.destination)
    }
    if inheritedMode == nil && step.remountFlags == nil && step.propagation.isEmpty && step.recursiveAttributes == 0 {
      return
    }
    // Re-open: the fd above still points below the new mount.
    let mounted = try root.open(step.destination, creating: nil)
    defer { close(mounted) }
    let mountedTarget = Paths.procSelfFD(mounted)
    if let inheritedMode {
      _ = try check("chmod", step.destination) { kernel.chmod(mountedTarget, inheritedMode) }
    }
    if let extra = step.remountFlags {
      try kernel.mount(
        source: nil, target: mountedTarget, type: nil,
        flags: UInt(MS_BIND) | UInt(MS_REMOUNT) | extra, data: step.data, label: step.destination)
    }
    for propagation in step.propagation {
      try kernel.mount(source: nil, target: mountedTarget, type: nil, flags: propagation, label: step.destination)
    }
    if step.recursiveAttributes != 0 {
      _ = try check("mount_setattr (recursive options)", step.destination) {
        kernel.setMountAttributes(mounted, recursive: UInt64(step.recursiveAttributes))
      }
    }
  }

  /// A tmpfs without `mode=` takes the mode of the directory it covers, as with runc (an
  /// image's 1777 /tmp stays 1777, a 750 one stays 750); nil when none exists yet.
  static func modeWithoutOption<K>(_ step: LaunchPlan.MountStep, root: RootfsPath<K>) -> mode_t? {
    if (step.data ?? "").split(separator: ",").contains(where: { $0.hasPrefix("mode=") }) { return nil }
    guard let fd = try? root.open(step.destination, creating: nil) else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
    return st.st_mode & 0o7777
  }

  static func ensureDirectory<K>(_ path: String, root: RootfsPath<K>) throws {
    let fd = try root.open(path, creating: .directory)
    close(fd)
  }

  /// Default devices and linux.devices: mknod, or bind mounts of the host's nodes
  /// inside a user namespace (where mknod is not allowed).
  static func createDevices<K>(_ plan: LaunchPlan, root: RootfsPath<K>, made: inout [String]) throws {
    let kernel = root.kernel
    let oldMask = kernel.umask(0)
    defer { _ = kernel.umask(oldMask) }  // umask returns the previous mask: nothing to check
    // Each parent directory opened once (most nodes live in /dev itself), kept until the end.
    var parents: [(path: String, fd: Int32)] = []
    defer { for parent in parents { close(parent.fd) } }
    func parentFD(_ path: String) throws -> Int32 {
      if let known = parents.first(where: { $0.path == path }) { return known.fd }
      let fd = try root.open(path, creating: .directory)
      parents.append((path, fd))
      return fd
    }
    for node in plan.devices {
      let dir = try parentFD(Paths.dirname(node.path))
      let name = Paths.basename(node.path)
      if plan.newUserNamespace && node.type != "p" {  // no mknod in a user namespace (but mkfifo): bind the host's nodes
        let fd = try root.open(node.path, creating: .file)
        defer { close(fd) }
        if node.detachedTreeFD >= 0 {
          _ = try check("move_mount", node.path) { kernel.moveMount(node.detachedTreeFD, onto: fd) }
        } else {
          try kernel.mount(
            source: node.path, target: Paths.procSelfFD(fd), type: nil, flags: UInt(MS_BIND), label: node.path)
        }
        made.append(node.path)
        continue
      }
      let kind: UInt32 = node.type == "b" ? S_IFBLK : (node.type == "p" ? S_IFIFO : S_IFCHR)
      let dev = node.type == "p" ? 0 : Devices.number(major: node.major, minor: node.minor)
      if kernel.mknodat(dir, name, kind | (node.mode & 0o7777), dev) != 0 {
        if errno == EEXIST {
          // Something is already there: fine if it is this very device, an error otherwise
          // (config-linux.md: a path that exists as another file MUST be refused).
          var st = stat()
          if fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == kind,
            node.type == "p" || UInt64(st.st_rdev) == UInt64(dev)
          {
            continue
          }
          throw SystemError("create device \(node.type) \(node.major):\(node.minor) at", node.path, errno: EEXIST)
        }
        throw SystemError("mknod", node.path)
      }
      if node.uid != 0 || node.gid != 0 {
        _ = try check("chown", node.path) { kernel.fchownat(dir, name, node.uid, node.gid, AT_SYMLINK_NOFOLLOW) }
      }
    }
    let dev = try parentFD("/dev")
    for link in plan.devSymlinks {
      if symlinkat(link.target, dev, Paths.basename(link.link)) != 0 && errno != EEXIST {
        throw SystemError("symlink", link.link)
      }
    }
    if plan.mounts.contains(where: { $0.destination == "/dev/pts" }) {
      if unlinkat(dev, "ptmx", 0) != 0 && errno != ENOENT { throw SystemError("unlink", "/dev/ptmx") }
      if symlinkat("pts/ptmx", dev, "ptmx") != 0 { throw SystemError("symlink", "/dev/ptmx") }
    }
  }

  /// pivot_root(".", ".") then detach the old root, as runc does: no put_old directory needed.
  /// Without a mount namespace of the container's own, chroot (runc's and crun's way).
  static func pivot<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    if plan.sharesMountNamespace {
      _ = try check("chdir", plan.rootfs) { kernel.chdir(plan.rootfs) }
      _ = try check("chroot", plan.rootfs) { kernel.chroot(".") }
      _ = try check("chdir", "/") { kernel.chdir("/") }
      return
    }
    if plan.noPivot {
      try detachFullProcAndSys(outside: plan.rootfs, kernel)
      _ = try check("chdir", plan.rootfs) { kernel.chdir(plan.rootfs) }
      try kernel.mount(source: plan.rootfs, target: "/", type: nil, flags: UInt(MS_MOVE), label: "/ (move rootfs)")
      _ = try check("chroot", plan.rootfs) { kernel.chroot(".") }
      _ = try check("chdir", "/") { kernel.chdir("/") }
      return
    }
    let oldRoot = try check("open", "/") { kernel.open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0) }
    defer { close(oldRoot) }
    let newRoot = try check("open", plan.rootfs) { kernel.open(plan.rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0) }
    defer { close(newRoot) }
    _ = try check("fchdir", plan.rootfs) { kernel.fchdir(newRoot) }
    _ = try check("pivot_root", ".") { kernel.pivotRoot(".", ".") }
    _ = try check("fchdir", "old root") { kernel.fchdir(oldRoot) }
    try kernel.mount(source: nil, target: ".", type: nil, flags: UInt(MS_SLAVE) | UInt(MS_REC), label: "old root")
    _ = try check("umount", ".") { kernel.umount2(".", Int32(MNT_DETACH)) }
    _ = try check("chdir", "/") { kernel.chdir("/") }
    if let propagation = plan.applyRootPropagationAfterPivot {
      try kernel.mount(source: nil, target: "/", type: nil, flags: propagation, label: "/ (rootfsPropagation)")
    }
  }

  /// --no-pivot leaves the old root's mounts in the namespace, only out of reach: the
  /// kernel lets a process with a user namespace mount a fresh procfs or sysfs when a full
  /// one is mounted anywhere in it (mnt_already_visible), which would undo maskedPaths.
  /// Detach every whole procfs and sysfs outside the rootfs first, as runc's msMoveRoot
  /// does (or cover it with a tmpfs where it cannot be unmounted).
  static func detachFullProcAndSys<K: Syscalls>(outside rootfs: String, _ kernel: K) throws {
    guard let text = kernel.readText("/proc/self/mountinfo") else { throw SystemError("read", "/proc/self/mountinfo") }
    var points: [String] = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count > 6, fields[3] == "/", let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count,
        fields[dash + 1] == "proc" || fields[dash + 1] == "sysfs"
      else { continue }
      let point = String(fields[4])
      if point == rootfs || point.hasPrefix(rootfs + "/") { continue }
      points.append(point)
    }
    for point in points.sorted(by: { $0.count > $1.count }) {
      // Keep the unmount from propagating to the host.
      if kernel.mount(nil, point, nil, UInt(MS_SLAVE) | UInt(MS_REC), nil) != 0 {
        if errno == ENOENT || errno == EINVAL { continue }  // gone with a parent detached before
        throw SystemError("make slave", point)
      }
      if kernel.umount2(point, Int32(MNT_DETACH)) != 0 {
        guard errno == EINVAL || errno == EPERM else { throw SystemError("umount", point) }
        try kernel.mount(source: "tmpfs", target: point, type: "tmpfs", flags: 0, label: point + " (cover)")
      }
    }
  }

  /// As runc (reOpenDevNull): stdio that is the host's /dev/null becomes the container's own,
  /// so that no fd of the init refers to a mount outside the container (CRIU cannot dump one).
  /// Only where hull made /dev (not a bind of the host's).
  static func reopenDevNull<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    if plan.mounts.contains(where: { $0.destination == "/dev" && $0.flags & UInt(MS_BIND) != 0 }) { return }
    // /dev/null is character device 1:3 on every Linux (devices.txt); dev_t 0x103 in glibc's encoding.
    let nullStdio = (Int32(0)...2).filter { fd in
      var st = stat()
      return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0x103
    }
    if nullStdio.isEmpty { return }
    let devNull = kernel.open("/dev/null", O_RDWR | O_CLOEXEC, 0)
    // A rootfs without /dev/null: nothing of the container's own to point stdio at.
    if devNull < 0 && errno == ENOENT { return }
    _ = try check("open", "/dev/null") { devNull }
    defer { close(devNull) }
    for fd in nullStdio { _ = try check("dup2", "/dev/null") { kernel.dup2(devNull, fd) } }
  }

  /// maskedPaths, readonlyPaths and root.readonly, after pivot_root.
  static func finish<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    // As runc (maskPath): /dev/null bound over it; the kernel refuses a file over a directory
    // (ENOTDIR), which gets an empty read-only tmpfs instead; a path that is not there is skipped.
    for path in plan.maskedPaths {
      if kernel.mount("/dev/null", path, nil, UInt(MS_BIND), nil) == 0 { continue }
      switch errno {
      case ENOENT: continue
      case ENOTDIR:
        try kernel.mount(source: "tmpfs", target: path, type: "tmpfs", flags: UInt(MS_RDONLY), label: path)
      default: throw SystemError("mask (bind /dev/null over)", path)
      }
    }
    for path in plan.readonlyPaths {
      if kernel.mount(path, path, nil, UInt(MS_BIND) | UInt(MS_REC), nil) != 0 {
        if errno == ENOENT { continue }
        throw SystemError("bind mount", path)
      }
      try remountReadonly(path, kernel)
    }
    for step in plan.mounts where step.readonlyAfterSetup {
      try kernel.mount(
        source: nil, target: step.destination, type: nil,
        flags: UInt(MS_REMOUNT) | UInt(MS_RDONLY) | step.flags, data: step.data,
        label: step.destination + " (read-only)")
    }
    if plan.rootReadonly { try remountReadonly("/", kernel) }
  }

  /// A read-only remount must keep the flags the kernel locks (nosuid, nodev, noexec).
  static func remountReadonly<K: Syscalls>(_ path: String, _ kernel: K) throws {
    guard let vfs = kernel.statvfs(path) else { throw SystemError("statvfs", path) }
    var flags = UInt(MS_BIND) | UInt(MS_REMOUNT) | UInt(MS_RDONLY)
    let f = UInt(vfs.f_flag)
    if f & ST_NOSUID_FLAG != 0 { flags |= UInt(MS_NOSUID) }
    if f & ST_NODEV_FLAG != 0 { flags |= UInt(MS_NODEV) }
    if f & ST_NOEXEC_FLAG != 0 { flags |= UInt(MS_NOEXEC) }
    try kernel.mount(source: nil, target: path, type: nil, flags: flags, label: path + " (read-only)")
  }
}
