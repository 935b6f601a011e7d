import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// The parent side of create and run: state directory, cgroups, then the init launched by
/// ChildLauncher as an InitLaunch (clone3, the sync protocol of SyncChannel, hooks, state.json,
/// pid file). On any failure the init is killed and reaped (ChildLauncher), then what create
/// made is removed: systemd unit, cgroups, pid file, state directory.
public struct CreatedContainer: ~Copyable {
  public let record: ContainerRecord
  public let pidfd: Int32
  let sync: SyncChannel
  public let warnings: [String]
}

public enum Launcher {
  public enum Mode: Sendable { case create, run }

  public static func create(spec: Spec, options: LaunchOptions, store: StateStore, mode: Mode) throws(RuntimeError)
    -> CreatedContainer
  {
    let plan = try Planner.plan(spec: spec, options: options, host: LiveHost())
    DebugTrace.step(
      "create \(options.id): planned (\(plan.mounts.count) mounts, clone flags 0x\(String(plan.cloneFlags, radix: 16)))"
    )
    if !Files.isDirectory(plan.rootfs) {
      throw RuntimeError(
        "create container \(options.id): rootfs", plan.rootfs, reason: SystemError.describe(ENOENT), errno: ENOENT)
    }
    let lock = try store.create(options.id)
    var cleanup = Cleanup(store: store, id: options.id)
    do {
      let container = try launch(
        plan, options: options, store: store, mode: mode, stateLock: lock.fd, cleanup: &cleanup)
      _ = consume lock
      return container
    } catch {
      cleanup.run()
      throw error
    }
  }

  /// What to undo when create fails part way.
  struct Cleanup {
    let store: StateStore
    let id: String
    var cgroupCreated: [String] = []
    var pidFile: String?
    /// Set once the init may be in it (its systemd unit is then stopped).
    var cgroup: CgroupSet?

    /// The init, if cloned, was killed and reaped already (ChildLauncher.supervise).
    func run() {
      // A unit asked for (its start may have timed out and still happen): stopped, as delete does.
      if cgroup?.isSystemdManaged == true { try? cgroup?.stopSystemdUnit() }
      CgroupSet.remove(cgroupCreated)
      if let pidFile { unlink(pidFile) }  // cleanup after a failure: the failure is the error to report
      store.remove(id)
    }
  }

  static func launch(
    _ plan: LaunchPlan, options: LaunchOptions, store: StateStore, mode: Mode, stateLock: Int32,
    cleanup: inout Cleanup
  ) throws(RuntimeError) -> CreatedContainer {
    var plan = plan
    var treeFDs: [Int32] = []
    defer { for fd in treeFDs { close(fd) } }
    try BindSources.open(&plan, into: &treeFDs)
    try BindSources.openDevices(&plan, into: &treeFDs)
    try SystemdPlacement.resolvePath(&plan)
    // A provisional record (pid 0) names the cgroups before they exist and before anything
    // else can fail, so that `delete --force` cleans up after a create killed at any point.
    var provisional = ContainerRecord(
      id: plan.id, pid: 0, initStartTime: 0, bundle: plan.bundle, rootfs: plan.rootfs, created: Clock.rfc3339Now(),
      owner: Identity.ownerName(), ociVersion: plan.ociVersion, annotations: plan.annotations,
      cgroupPath: plan.cgroup!.path, cgroupCreated: plan.cgroup!.missingDirectories(), started: false, poststart: [],
      poststop: [])
    SystemdPlacement.name(plan, in: &provisional)
    try store.save(provisional)
    do { if plan.systemdUnit == nil { cleanup.cgroupCreated = try plan.cgroup!.create() } } catch {
      // Rootless with no write access to the hierarchies and no limits to apply: run
      // without a cgroup of its own, as runc does (pause, ps, update and events then refuse).
      guard plan.cgroupOptional, error.errno == EACCES || error.errno == EPERM || error.errno == EROFS else {
        throw RuntimeError(error)
      }
      plan.cgroup = nil
    }
    let cgroup = plan.cgroup
    if cgroup == nil || provisional.cgroupCreated != cleanup.cgroupCreated {
      // What was really made (a sibling may have made a level first), or no cgroup at all.
      provisional.cgroupPath = cgroup?.path ?? ""
      provisional.cgroupCreated = cleanup.cgroupCreated
      try store.save(provisional)
    }
    try refuseFrozen(cgroup, id: plan.id, made: cleanup.cgroupCreated)
    do {
      try cgroup?.grantRealtimeBudget(plan.cgroupLimits.cpuRealtimeRuntime, toCreated: cleanup.cgroupCreated)
    } catch { throw RuntimeError(error) }
    // A cgroup this create made holds no process yet: only one that existed is read.
    if let cgroup, !cgroup.directories.allSatisfy(cleanup.cgroupCreated.contains), case let busy = cgroup.pids(),
      !busy.isEmpty
    {
      plan.warnings.append("container's cgroup \(cgroup.path) is not empty: \(busy.count) process(es) found")  // as runc
    }
    do { if plan.systemdUnit == nil { try cgroup?.apply(plan.cgroupLimits) } } catch { throw RuntimeError(error) }
    DebugTrace.step("create \(plan.id): cgroup \(cgroup?.path ?? "(none)") made and limited")

    var listener: Int32 = -1
    if mode == .create { listener = try ExecSocket.listen(stateDir: options.stateDir) }
    defer { if listener >= 0 { close(listener) } }
    let console = try ChildLauncher.consoleEnd(
      terminal: plan.process.terminal, socketPath: options.consoleSocket,
      channel: options.consoleChannel)
    defer { if console >= 0 { close(console) } }
    let channels = try ChildLauncher.syncPair()

    var flags = plan.cloneFlags
    for join in plan.joinInParent {
      do {
        try LinuxNamespace.verify(join.kind, path: join.path)
        try LinuxNamespace.join(join.kind, path: join.path, using: LinuxSyscalls())
      } catch { throw RuntimeError(error, context: "join namespace") }
    }
    if let offsets = plan.timeOffsets {
      // Offsets can only be set before any process enters the namespace: unshare it
      // for our children, write them, then clone into it.
      if LinuxNamespace.unshare(Int32(LinuxNamespace.time.cloneFlag)) != 0 {
        throw RuntimeError(SystemError("unshare time namespace"))
      }
      do { try Files.writeExisting("/proc/self/timens_offsets", offsets) } catch {
        throw RuntimeError(error, context: "set time offsets")
      }
      flags &= ~LinuxNamespace.time.cloneFlag
    }
    let cgroupNamespace = flags & LinuxNamespace.cgroup.cloneFlag != 0
    flags &= ~LinuxNamespace.cgroup.cloneFlag
    // Under systemd the init waits until the unit holds it (runc and crun order it so too).
    let waitForParent = plan.newUserNamespace || cgroupNamespace || plan.systemdUnit != nil

    // cgroup v2: the child is born in its cgroup (clone3 CLONE_INTO_CGROUP), no move needed.
    // On hybrid hosts this covers the unified hierarchy; v1 hierarchies still need writes.
    var cgroupFD: Int32 = -1
    // Not opened (-1): the clone places nothing, and the attach writes cgroup.procs instead. A systemd
    // unit does not exist before the init does: StartTransientUnit moves the init into it.
    if let unified = cgroup?.unifiedDirectory, plan.systemdUnit == nil {
      cgroupFD = Files.open(unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }
    var kind = InitLaunch(
      plan: plan, record: provisional, store: store, mode: mode, pidFile: options.pidFile,
      cgroupNamespace: cgroupNamespace, waitForParent: waitForParent, listener: listener, stateLock: stateLock,
      cleanup: cleanup)
    // What the launch did to undo on failure (the cgroups of a systemd unit, the pid file) comes back either way.
    defer { cleanup = kind.cleanup }
    let child = try ChildLauncher.launch(&kind, flags: flags, cgroupFD: cgroupFD, channels: channels, console: console)
    if mode == .create {
      child.sync.send(.stateSaved)
      child.sync.close()
    }
    return CreatedContainer(record: kind.record, pidfd: child.pidfd, sync: child.sync, warnings: kind.plan.warnings)
  }
}

/// The container's init as ChildLauncher's kind: cgroup attach (or the systemd unit), id maps,
/// go when the init waits for it, create hooks on its request, until ready; then state.json.
struct InitLaunch: ChildKind {
  var plan: LaunchPlan
  /// The provisional record, completed once the init is ready.
  var record: ContainerRecord
  let store: StateStore
  let mode: Launcher.Mode
  let pidFile: String?
  let cgroupNamespace: Bool
  /// The init waits for go: a new user or cgroup namespace, or a systemd unit to be placed in.
  let waitForParent: Bool
  /// create: exec.sock, on which the init waits for start; -1 for run.
  let listener: Int32
  let stateLock: Int32
  var cleanup: Launcher.Cleanup

  var operation: String { "create container" }
  var cgroup: CgroupSet? { plan.cgroup }
  var reaping: ChildProcess.Reaping { .thawingThenWaiting(cgroup) }

  func runChild(sync: SyncChannel, console: Int32) -> Never {
    InitStage.run(
      plan,
      .init(
        sync: sync, start: mode == .create ? .listening(listener) : .channel,
        consoleSocket: console, waitForParent: waitForParent,
        unshareCgroupNamespace: cgroupNamespace, stateLock: stateLock))
  }

  mutating func handshake(_ child: ChildProcess) throws(RuntimeError) {
    let pid = child.pid
    let sync = child.sync
    let cgroup = self.cgroup
    cleanup.cgroup = cgroup
    DebugTrace.step("create \(plan.id): init cloned, pid \(pid)")
    // The child mounts while we write its cgroups (the v1 attach may wait for an RCU grace period).
    if let unit = plan.systemdUnit, let cgroup {
      try SystemdPlacement.place(
        pid: pid, unit: unit, cgroup: cgroup, plan: &plan, record: &record, store: store,
        cleanup: &cleanup)
    } else {
      do { try cgroup?.attach(pid: pid, placedInUnified: child.placedInUnified) } catch { throw RuntimeError(error) }
    }
    if plan.newUserNamespace {
      do {
        try Files.writeExisting("/proc/\(pid)/uid_map", plan.uidMap!)
        if plan.denySetgroups { try Files.writeExisting("/proc/\(pid)/setgroups", "deny") }
        try Files.writeExisting("/proc/\(pid)/gid_map", plan.gidMap!)
      } catch { throw RuntimeError(error, context: "write id mappings") }
    }
    if waitForParent { sync.send(.go) }

    loop: while true {
      // An init frozen on its way (its cgroup frozen from outside meanwhile) would never answer.
      while !sync.waitReadable(timeoutMs: 1000) { try Launcher.refuseFrozen(cgroup, id: plan.id, made: []) }
      guard let message = sync.receive() else {
        throw RuntimeError("create container \(plan.id)", reason: "container init exited during setup", errno: ECHILD)
      }
      switch message.kind {
      case .runCreateHooks?:
        let state = StateJSON.render(plan: plan, status: .creating, pid: pid)
        try HookRunner.run(plan.hooks.prestart, kind: "prestart", state: state)
        try HookRunner.run(plan.hooks.createRuntime, kind: "createRuntime", state: state)
        sync.send(.createHooksDone)
      case .ready?:
        DebugTrace.step("create \(plan.id): init ready (rootfs, process set up)")
        break loop
      case .error?: throw SyncChannel.decodeError(message.payload)
      default: throw RuntimeError("create container \(plan.id)", reason: "unexpected message from init", errno: EPROTO)
      }
    }
  }

  /// The provisional record, completed (its cgroup fields are already what was made).
  mutating func recordState(_ child: ChildProcess) throws(RuntimeError) {
    record.pid = child.pid
    record.initStartTime = ProcFS.stat(pid: child.pid)?.startTime ?? 0
    record.created = Clock.rfc3339Now()
    record.poststart = plan.hooks.poststart
    record.poststop = plan.hooks.poststop
    record.noNewKeyring = plan.noNewKeyring
    try store.save(record)
    // The pid file comes next: a failure from here on removes it too (not before: that path
    // may hold a file that is not ours).
    cleanup.pidFile = pidFile
  }
}

extension Launcher {
  /// As runc: a container placed in a frozen cgroup would stop before reporting, and create
  /// would wait for it forever.
  static func refuseFrozen(_ cgroup: CgroupSet?, id: String, made: [String]) throws(RuntimeError) {
    if let frozen = cgroup?.frozenDirectory(made: made) {
      throw RuntimeError(
        "create container \(id): cgroup", frozen, reason: "container's cgroup unexpectedly frozen", errno: EBUSY)
    }
  }
}

enum Identity {
  /// The caller's user name from /etc/passwd (no NSS: hull is a static executable).
  static func ownerName() -> String {
    let uid = getuid()
    if uid == 0 { return "root" }
    return Passwd.entry(uid: uid)?.name ?? String(uid)
  }
}
