import Capabilities
import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// Options of create/run that shape the plan.
public struct LaunchOptions: Sendable {
  public var id: String
  public var bundle: String
  public var stateDir: String
  public var noPivot = false
  /// --no-new-keyring: the init keeps the caller's session keyring.
  public var noNewKeyring = false
  public var consoleSocket: String?
  /// run and exec without --console-socket but with a terminal: a connected socket of
  /// the caller's own, which then proxies the pty (see ConsoleProxy).
  public var consoleChannel: Int32 = -1
  public var preserveFds: Int32 = 0
  public var pidFile: String?
  /// Run by an unprivileged user (or --rootless true): cgroups become optional when
  /// the config sets no limits.
  public var rootless = false
  /// --systemd-cgroup: linux.cgroupsPath is "slice:prefix:name" and systemd makes the cgroup
  /// (the user's own manager when rootless).
  public var systemdCgroup = false
  /// Where compiled seccomp profiles are kept (StateStore.seccompCacheDirectory); nil: none.
  public var seccompCacheDirectory: String?
  public init(id: String, bundle: String, stateDir: String) {
    self.id = id
    self.bundle = bundle
    self.stateDir = stateDir
  }
}

/// Spec + options + host facts → LaunchPlan, runc's specconv step. It reads the host only
/// through `host` (PlannerTests give their own), and the seccomp cache of the options.
public enum Planner {
  public static func plan<H: HostFacts>(spec: Spec, options: LaunchOptions, host: H) throws(RuntimeError) -> LaunchPlan
  {
    guard let process = spec.process else {
      throw RuntimeError("plan", "config.json", reason: "process: a container needs a process to run", errno: EINVAL)
    }
    guard let root = spec.root else {
      throw RuntimeError("plan", "config.json", reason: "root: the root file system is missing", errno: EINVAL)
    }
    let linux = spec.linux
    try refuseUnsupported(spec: spec, host: host)
    try InputChecks.check(spec)

    var plan = LaunchPlan(
      id: options.id, bundle: options.bundle, rootfs: Paths.absolute(root.path, base: options.bundle),
      stateDir: options.stateDir, rootfsPropagation: UInt(MS_SLAVE) | UInt(MS_REC),
      process: try ProcessPlanner.plan(
        process, hasConsole: options.consoleSocket != nil || options.consoleChannel >= 0,
        preserveFds: options.preserveFds, personality: spec.linux?.personality,
        host: host),
      hooks: spec.hooks ?? Hooks(), annotations: spec.annotations, ociVersion: spec.ociVersion)
    plan.warnings = spec.warnings
    plan.rootReadonly = root.readonly
    plan.noPivot = options.noPivot
    plan.noNewKeyring = options.noNewKeyring
    plan.process.attributes.memoryPolicy = try ProcessAttributes.planMemoryPolicy(linux?.memoryPolicy)
    plan.hostname = spec.hostname
    plan.domainname = spec.domainname

    try planNamespaces(linux, into: &plan)
    if plan.sharesMountNamespace { try refuseHostMountChanges(root: root, linux: linux) }
    if let propagation = linux?.rootfsPropagation {
      guard let flags = Mounts.propagation(propagation) else {
        throw RuntimeError(
          "plan", "config.json", reason: "linux.rootfsPropagation: unknown value \"\(propagation)\"", errno: EINVAL)
      }
      plan.rootfsPropagation = flags
      plan.applyRootPropagationAfterPivot = flags
    }
    plan.mounts = try spec.mounts.enumerated().map { (index, mount) throws(RuntimeError) in
      var step = planMount(mount, bundle: options.bundle, host: host)
      step.idmap = try planIDMap(mount, index: index, linux: linux, isBind: step.flags & UInt(MS_BIND) != 0)
      return step
    }
    planDevices(linux, into: &plan)
    plan.maskedPaths = linux?.maskedPaths ?? []
    plan.readonlyPaths = linux?.readonlyPaths ?? []
    plan.sysctl = linux?.sysctl ?? []

    // Spec 1.0.x: an unknown capability MUST be an error; from 1.1 it is a warning.
    if spec.ociVersion.hasPrefix("1.0"),
      let unknown = plan.process.capabilities?.warnings.first(where: { $0.contains("unknown capability") })
    {
      throw RuntimeError(
        "plan", "config.json", reason: unknown.replacingIgnored + " (an error under ociVersion \(spec.ociVersion))",
        errno: EINVAL)
    }
    // Each warning once: the spec parser already named unknown capabilities it knows nothing of.
    plan.warnings += (plan.process.capabilities?.warnings ?? []).filter { warning in
      let parts = warning.split(separator: "\"")
      guard warning.contains("unknown capability"), parts.count > 1 else { return true }
      return !spec.warnings.contains { $0.contains("unknown capability \"\(parts[1])\"") }
    }
    plan.warnings += try ProcessPlanner.addSeccomp(
      linux?.seccomp, to: &plan.process, cacheDirectory: options.seccompCacheDirectory,
      state: ContainerState(
        ociVersion: plan.ociVersion, id: plan.id, status: .creating, pid: 0, bundle: plan.bundle,
        annotations: plan.annotations))
    // An unprivileged parent may write gid_map only once setgroups is denied (user_namespaces(7)).
    plan.denySetgroups = options.rootless && plan.newUserNamespace
    plan.process.setgroupsAllowed = !plan.newUserNamespace || (plan.gidMap != nil && !plan.denySetgroups)

    let cgroupPath = linux?.cgroupsPath.flatMap { $0.isEmpty ? nil : $0 } ?? "/hull/\(options.id)"
    if options.systemdCgroup {
      do {
        plan.systemdUnit = try SystemdUnit.parse(linux?.cgroupsPath ?? "", id: options.id, user: options.rootless)
      } catch {
        throw RuntimeError("plan", "config.json", reason: error.description, errno: error.errno)
      }
      if options.rootless && host.cgroupHost.mode != .unified {
        throw RuntimeError(
          "plan",
          reason:
            "--systemd-cgroup as an unprivileged user needs cgroup v2: a user's manager is delegated no cgroup v1 hierarchy (this host is \(host.cgroupHost.mode.rawValue))",
          errno: ENOTSUP)
      }
    } else if cgroupPath.contains(":") {
      throw RuntimeError(
        "plan", "config.json",
        reason: "linux.cgroupsPath \"\(cgroupPath)\" is in systemd form (slice:prefix:name): use --systemd-cgroup",
        errno: EINVAL)
    }
    if cgroupPath.split(separator: "/").contains("..") {
      throw RuntimeError(
        "plan", "config.json", reason: "linux.cgroupsPath \"\(cgroupPath)\" must not contain \"..\"", errno: EINVAL)
    }
    let cgroupHost = host.cgroupHost
    // A user manager's unit: the path is completed below the manager's cgroup at launch.
    plan.cgroup =
      plan.systemdUnit.map {
        CgroupSet(host: cgroupHost, path: $0.path, manager: .systemd(unit: $0.name, user: $0.user))
      }
      ?? CgroupSet(host: cgroupHost, path: cgroupPath)
    // Rootless: the container cannot mknod a host device, and the device cgroup is root's (as runc).
    plan.cgroupLimits = try CgroupPlanner.limits(
      from: linux?.resources, devicePolicy: !options.rootless,
      warnings: &plan.warnings)
    if plan.cgroupLimits.memoryKernelTCP != nil,
      !host.exists(
        (cgroupHost.hierarchy(for: "memory")?.mountPoint ?? "/nonexistent") + "/memory.kmem.tcp.limit_in_bytes")
    {
      plan.warnings.append(
        "linux.resources.memory.kernelTCP: ignored (no cgroup v1 memory.kmem.tcp.limit_in_bytes on this host)")
      plan.cgroupLimits.memoryKernelTCP = nil
    }
    plan.cgroupOptional = options.rootless && plan.systemdUnit == nil && plan.cgroupLimits == CgroupLimits()
    return plan
  }

  static func planNamespaces(_ linux: Linux?, into plan: inout LaunchPlan) throws(RuntimeError) {
    for ns in linux?.namespaces ?? [] {
      guard let kind = LinuxNamespace(rawValue: ns.type.rawValue) else { continue }
      if let path = ns.path, !path.isEmpty {
        switch kind {
        case .pid, .time: plan.joinInParent.append(.init(kind: kind, path: path))
        case .user: plan.joinInChild.insert(.init(kind: kind, path: path), at: 0)
        default: plan.joinInChild.append(.init(kind: kind, path: path))
        }
      } else {
        plan.cloneFlags |= kind.cloneFlag
      }
    }
    plan.newUserNamespace = plan.cloneFlags & LinuxNamespace.user.cloneFlag != 0
    plan.newMountNamespace = plan.cloneFlags & LinuxNamespace.mount.cloneFlag != 0
    plan.joinedMountNamespace = plan.joinInChild.contains { $0.kind == .mount }
    if plan.newUserNamespace {
      plan.uidMap = idMapText(linux?.uidMappings ?? [])
      plan.gidMap = idMapText(linux?.gidMappings ?? [])
      if plan.uidMap!.isEmpty || plan.gidMap!.isEmpty {
        throw RuntimeError(
          "plan", "config.json", reason: "linux.uidMappings/gidMappings: a new user namespace needs mappings",
          errno: EINVAL)
      }
    }
    if let offsets = linux?.timeOffsets {
      var text = ""
      if let m = offsets.monotonic { text += "monotonic \(m.secs) \(m.nanosecs)\n" }
      if let b = offsets.boottime { text += "boottime \(b.secs) \(b.nanosecs)\n" }
      if !text.isEmpty {
        guard plan.cloneFlags & LinuxNamespace.time.cloneFlag != 0 else {
          throw RuntimeError(
            "plan", "config.json", reason: "linux.timeOffsets needs a new time namespace", errno: EINVAL)
        }
        plan.timeOffsets = text
      }
    }
  }

  static func planMount<H: HostFacts>(_ mount: Mount, bundle: String, host: H) -> LaunchPlan.MountStep {
    var options = Mounts.parse(options: mount.options)
    let isBind = mount.isBindMount
    var destination = mount.destination
    if !destination.hasPrefix("/") { destination = "/" + destination }
    var source = mount.source
    var targetIsFile = false
    var remount: UInt?
    if isBind {
      options.flags |= UInt(MS_BIND)
      if let s = source { source = Paths.absolute(s, base: bundle) }
      if let s = source, host.isDirectory(s) == false { targetIsFile = true }
      // Bind mounts ignore flags other than MS_REC on the first call: apply them in a remount.
      let extra = options.flags & ~(UInt(MS_BIND) | UInt(MS_REC) | UInt(MS_REMOUNT))
      if extra != 0 || !options.data.isEmpty { remount = extra }
    }
    var step = LaunchPlan.MountStep(
      source: source, destination: Paths.clean(destination), type: isBind ? nil : mount.type,
      flags: isBind ? options.flags & (UInt(MS_BIND) | UInt(MS_REC)) : options.flags,
      data: dataOptions(options.data), propagation: options.propagation,
      remountFlags: remount, recursiveAttributes: options.recursiveSet, targetIsFile: targetIsFile,
      isCgroup: mount.type == "cgroup" || mount.type == "cgroup2")
    if !isBind, step.flags & UInt(MS_RDONLY) != 0, mount.type == "tmpfs" || step.destination == "/dev" {
      step.flags &= ~UInt(MS_RDONLY)
      step.readonlyAfterSetup = true
    }
    return step
  }

  /// File-system data options, without the runtime's own (idmap, ridmap).
  static func dataOptions(_ data: [String]) -> String? {
    let kept = data.filter { $0 != "idmap" && $0 != "ridmap" }
    return kept.isEmpty ? nil : kept.joined(separator: ",")
  }

  /// `idmap`/`ridmap` options or mount mappings; without mappings of its own the mount
  /// uses the container's user namespace mappings (runtime-spec 1.2).
  static func planIDMap(_ mount: Mount, index: Int, linux: Linux?, isBind: Bool) throws(RuntimeError) -> LaunchPlan
    .IDMap?
  {
    let recursive = mount.options.contains("ridmap")
    let requested =
      recursive || mount.options.contains("idmap") || !mount.uidMappings.isEmpty || !mount.gidMappings.isEmpty
    guard requested else { return nil }
    guard isBind else {
      throw RuntimeError(
        "plan", "config.json", reason: "mounts[\(index)]: idmapped mounts are supported for bind mounts only",
        errno: EINVAL)
    }
    let uids = mount.uidMappings.isEmpty ? linux?.uidMappings ?? [] : mount.uidMappings
    let gids = mount.gidMappings.isEmpty ? linux?.gidMappings ?? [] : mount.gidMappings
    guard !uids.isEmpty, !gids.isEmpty else {
      throw RuntimeError(
        "plan", "config.json",
        reason: "mounts[\(index)]: an idmapped mount needs uidMappings and gidMappings (on the mount or in linux)",
        errno: EINVAL)
    }
    return LaunchPlan.IDMap(uidMap: idMapText(uids), gidMap: idMapText(gids), recursive: recursive)
  }

  /// Mappings as /proc/PID/uid_map takes them: "containerID hostID size" lines.
  static func idMapText(_ maps: [IDMapping]) -> String {
    maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
  }

  /// The default devices runtime-linux.md requires, then linux.devices (which win on the same path).
  static func planDevices(_ linux: Linux?, into plan: inout LaunchPlan) {
    let defaults: [(String, UInt32, UInt32)] = [
      ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7),
      ("/dev/random", 1, 8), ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ]
    var nodes = defaults.map {
      LaunchPlan.DeviceNode(path: $0.0, type: "c", major: $0.1, minor: $0.2, mode: 0o666, uid: 0, gid: 0)
    }
    for device in linux?.devices ?? [] {
      let node = LaunchPlan.DeviceNode(
        path: device.path, type: Character(device.type), major: UInt32(truncatingIfNeeded: device.major ?? 0),
        minor: UInt32(truncatingIfNeeded: device.minor ?? 0), mode: device.fileMode ?? 0o666,
        uid: device.uid ?? 0, gid: device.gid ?? 0)
      nodes.removeAll { $0.path == device.path }
      nodes.append(node)
    }
    plan.devices = nodes
    plan.devSymlinks = [
      .init(target: "/proc/self/fd", link: "/dev/fd"), .init(target: "/proc/self/fd/0", link: "/dev/stdin"),
      .init(target: "/proc/self/fd/1", link: "/dev/stdout"), .init(target: "/proc/self/fd/2", link: "/dev/stderr"),
    ]
  }

  /// Without a mount namespace of the container's own these would remount or mask the
  /// runtime's own "/" and /proc: refused (runc refuses the paths too: "unable to restrict
  /// sys entries without a private MNT namespace"; crun applies them).
  static func refuseHostMountChanges(root: Root, linux: Linux?) throws(RuntimeError) {
    var fields: [String] = []
    if root.readonly { fields.append("root.readonly") }
    if linux?.rootfsPropagation != nil { fields.append("linux.rootfsPropagation") }
    if !(linux?.maskedPaths ?? []).isEmpty { fields.append("linux.maskedPaths") }
    if !(linux?.readonlyPaths ?? []).isEmpty { fields.append("linux.readonlyPaths") }
    if !fields.isEmpty {
      throw RuntimeError(
        "plan", "config.json",
        reason:
          "\(fields.joined(separator: ", ")) need a mount namespace of the container's own (add {\"type\": \"mount\"} to linux.namespaces)",
        errno: EINVAL)
    }
  }

  /// Fields hull does not implement yet are refused by name rather than ignored:
  /// running a container without the seccomp filter it asked for would be a silent hole.
  static func refuseUnsupported<H: HostFacts>(spec: Spec, host: H) throws(RuntimeError) {
    var fields: [String] = []
    if spec.linux?.intelRdt != nil { fields.append("linux.intelRdt") }
    if let label = spec.linux?.mountLabel, !label.isEmpty, !host.selinuxEnabled {
      fields.append("linux.mountLabel (no SELinux on this host)")
    }
    if !fields.isEmpty {
      throw RuntimeError(
        "plan", "config.json", reason: "\(fields.joined(separator: ", ")): not supported by hull yet", errno: ENOTSUP)
    }
  }
}

extension String {
  /// A warning's text without its trailing ": ignored", to reuse it as an error.
  var replacingIgnored: String { hasSuffix(": ignored") ? String(dropLast(9)) : self }
}

extension Mount {
  /// A bind mount: type "bind" or a bind/rbind option (the source is a host path then).
  var isBindMount: Bool { type == "bind" || options.contains("bind") || options.contains("rbind") }
}
