import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// `exec`: a new process in every namespace and cgroup of a running container.
///
///   hull (parent)                                  child (clone3, still hull, single-threaded)
///   setns(pidfd, PID|TIME) — for children only (unprivileged: USER|PID|TIME)
///   clone3 (ChildLauncher) ──────────────────────► closes its copy of the container's lock
///                          ◄────────────────────── lockReleased, then waits for go
///   attach to the container's cgroups, lock
///   released, go ────────────────────────────────► setns(pidfd, USER|MNT|NET|IPC|UTS|CGROUP) at once,
///                                                  chdir, console, user, caps, rlimits
///                          ◄────────────────────── ready, then execve (EOF) or error
///   pid file; --detach returns, else forward signals, wait, return the exit status
///
/// What runs before the clone is here; from the clone to the pid file, ChildLauncher with
/// ExecLaunch as its kind (see there).
public enum ExecLauncher {
  public struct Options: Sendable {
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    /// --ignore-paused: exec into a frozen container (the process runs once it is resumed).
    public var ignorePaused = false
    /// --cgroup [controllers:]path: sub-cgroups to join, by v1 controller ("" for all).
    public var subCgroups: [String: String] = [:]
    public init() {}
  }

  public static func exec(id: String, process: ProcessPlan, options: Options, store: StateStore) throws(RuntimeError)
    -> Int32
  {
    let ops = ContainerOps(store: store)
    let lock = try store.open(id, shared: true)
    let record = try store.load(id)
    let status = ops.status(of: record)
    guard status == .running || status == .created || (status == .paused && options.ignorePaused) else {
      let hint = status == .paused ? " (use --ignore-paused to override)" : ""
      throw RuntimeError(
        "exec in container \(id)", reason: "cannot exec in a \(status.rawValue) container\(hint)", errno: EINVAL)
    }
    func open(_ pid: Int32) throws(RuntimeError) -> PidFD {
      do { return try PidFD(pid: pid) } catch { throw RuntimeError(error, context: "exec in container \(id)") }
    }
    let target = try open(record.pid)
    guard ProcFS.isAlive(pid: record.pid, startTime: record.initStartTime) else {
      throw RuntimeError("exec in container \(id)", reason: "container not running", errno: ESRCH)
    }
    var childFlags: Int32 = 0
    var parentFlags: Int32 = 0
    for kind in LinuxNamespace.allCases {
      let mine = ProcFS.namespaceLink(pid: getpid(), kind: kind.procName)
      let theirs = ProcFS.namespaceLink(pid: record.pid, kind: kind.procName)
      guard let theirs, mine != theirs else { continue }
      if kind == .pid || kind == .time {
        parentFlags |= Int32(kind.cloneFlag)
      } else {
        childFlags |= Int32(kind.cloneFlag)
      }
    }
    // An unprivileged caller may enter the pid namespace only from inside the container's
    // user namespace (which it owns): it joins that too, and the child then need not.
    let userFlag = Int32(LinuxNamespace.user.cloneFlag)
    if parentFlags != 0 && childFlags & userFlag != 0 && geteuid() != 0 {
      parentFlags |= userFlag
      childFlags &= ~userFlag
    }
    // A container whose user namespace denies setgroups (a rootless one) denies it to us too.
    var process = process
    if (parentFlags | childFlags) & userFlag != 0,
      let setgroups = try? Files.read("/proc/\(record.pid)/setgroups", limit: 16),
      setgroups.starts(with: Array("deny".utf8))
    {
      process.setgroupsAllowed = false
    }
    // pid and time namespaces apply to the children of the caller only.
    if parentFlags != 0 && LinuxNamespace.enter(target.fd, flags: parentFlags) != 0 {
      throw RuntimeError(SystemError("setns pid/time", "/proc/\(record.pid)/ns"), context: "exec in container \(id)")
    }
    var proxy: ConsoleProxy?
    if process.terminal && options.consoleSocket == nil {
      guard !options.detach else {
        throw RuntimeError(
          "exec in container \(id)", reason: "a terminal with --detach needs --console-socket", errno: EINVAL)
      }
      proxy = try ConsoleProxy()
    }
    let console = try ChildLauncher.consoleEnd(
      terminal: process.terminal, socketPath: options.consoleSocket,
      channel: proxy?.sender ?? -1)
    defer { if console >= 0 { close(console) } }
    let channels = try ChildLauncher.syncPair()
    if !options.detach { ForwardedSignals.block() }

    // No mount namespace of the container's own: the init is chrooted in root.path, and so
    // is the exec'd process (runc and crun 1.x leave it on the host's root).
    var initRoot: FileDescriptor?
    if childFlags & Int32(LinuxNamespace.mount.cloneFlag) == 0 {
      do { initRoot = try FileDescriptor.open("/proc/\(record.pid)/root", O_PATH | O_DIRECTORY) } catch {
        throw RuntimeError(error, context: "exec in container \(id)")
      }
    }
    var kind = ExecLaunch(
      id: id, process: process, options: options, record: record, lock: consume lock,
      target: ExecChild.Target(
        pidfd: target.fd, namespaces: childFlags, root: initRoot?.rawValue ?? -1,
        sessionKeyringOf: record.noNewKeyring ? nil : id))
    let child = try ChildLauncher.launch(&kind, flags: 0, cgroupFD: -1, channels: channels, console: console)
    defer { child.sync.close() }
    DebugTrace.step("exec in \(id): process exec'd")
    if options.detach {
      close(child.pidfd)
      return 0
    }
    do { try proxy?.receiveMaster() } catch {
      child.killAndReap(kind.reaping)
      throw error
    }
    let exitStatus = ForegroundRun.forwardSignalsUntilExit(pid: child.pid, pidfd: child.pidfd, console: proxy)
    close(child.pidfd)
    return exitStatus
  }
}

/// An exec'd process as ChildLauncher's kind: lockReleased, the cgroup attach, the container's
/// lock released, go; then ready (its seccomp listener forwarded on the way), and an error
/// after it if execve failed.
struct ExecLaunch: ChildKind, ~Copyable {
  let id: String
  let process: ProcessPlan
  let options: ExecLauncher.Options
  /// The container's record: its cgroups are found after the clone (a read of mountinfo when
  /// nothing read them yet), while the child starts.
  let record: ContainerRecord
  /// The container's lock (shared): held until the process is in the container's cgroups.
  var lock: StateStore.Lock?
  /// Its number, which the child closes (its copy) right after the clone.
  let lockFD: Int32
  /// What the child joins: the init's pidfd and root are numbers of fds that ExecLauncher.exec
  /// owns (`target`, `initRoot`) and closes when it returns.
  let target: ExecChild.Target

  init(
    id: String, process: ProcessPlan, options: ExecLauncher.Options, record: ContainerRecord,
    lock: consuming StateStore.Lock, target: ExecChild.Target
  ) {
    self.id = id
    self.process = process
    self.options = options
    self.record = record
    self.lockFD = lock.fd
    self.lock = consume lock
    self.target = target
  }

  var operation: String { "exec in container \(id)" }
  var pidFile: String? { options.pidFile }
  /// A process in a frozen cgroup (--ignore-paused) dies only once thawed: not waited for.
  var reaping: ChildProcess.Reaping { .waitingAtMost(timeoutMs: 2000) }

  func runChild(sync: SyncChannel, console: Int32) -> Never {
    close(lockFD)
    // ExecChild closes this process's copies of target's fds. Their owners live on in
    // ExecLauncher.exec's frame, which never ends here: nothing closes them under the child.
    ExecChild.run(process, sync: sync, target: target, console: console)
  }

  mutating func handshake(_ child: ChildProcess) throws(RuntimeError) {
    let sync = child.sync
    DebugTrace.step("exec in \(id): process cloned, pid \(child.pid)")
    // The child holds a copy of the lock's fd until it closes it: attached to a frozen cgroup
    // (--ignore-paused, or a pause meanwhile) before it ran, it would keep the container locked
    // until resumed, and resume waits for that lock. So it reports first, then is attached.
    guard sync.receive()?.kind == .lockReleased else {
      throw RuntimeError("exec in container \(id)", reason: "process exited during setup", errno: ECHILD)
    }
    let cgroup = record.cgroup
    if !options.subCgroups.isEmpty && cgroup == nil {
      throw RuntimeError("exec --cgroup", reason: "the container has no cgroup of its own", errno: ENOENT)
    }
    do {
      if options.subCgroups.isEmpty {
        try cgroup?.attach(pid: child.pid)
      } else {
        try cgroup?.attach(pid: child.pid, subPaths: options.subCgroups)
      }
    } catch { throw RuntimeError(error) }
    // The child's setup runs inside the container, which could make it stall: never wait on it
    // holding the container's lock (kill and delete --force would wait too). In the cgroup, the
    // process goes with the container (delete --force kills it, which ends this wait through the
    // pidfd); a paused container's (--ignore-paused) resume must not wait for this exec either.
    _ = lock.take()
    sync.send(.go)
    // Forwarded signals are blocked: a SIGTERM while the process is set up (or frozen) ends the exec.
    let signalFD = options.detach ? -1 : ForwardedSignals.signalFD()
    defer { if signalFD >= 0 { close(signalFD) } }
    guard let ready = try ListenerHandoff.receive(sync, pidfd: child.pidfd, signalFD: signalFD) else {
      throw RuntimeError("exec in container \(id)", reason: "process exited during setup", errno: ECHILD)
    }
    if ready.kind == .error { throw SyncChannel.decodeError(ready.payload) }
    if let message = sync.receive(), message.kind == .error { throw SyncChannel.decodeError(message.payload) }
  }

  mutating func recordState(_ child: ChildProcess) throws(RuntimeError) {}  // an exec'd process has no state of its own
}

/// The exec'd process before execve.
enum ExecChild {
  /// What the exec'd process joins, besides the plan.
  struct Target {
    /// A pidfd of the container's init (setns takes it with the namespace flags).
    var pidfd: Int32
    /// CLONE_NEW* flags of the namespaces to join here (pid and time: joined by the parent).
    var namespaces: Int32
    /// The init's root (/proc/PID/root) when the container has no mount namespace of its own; -1 otherwise.
    var root: Int32 = -1
    /// The container whose session keyring to join; nil with --no-new-keyring at create.
    var sessionKeyringOf: String?
  }

  static func run(_ process: ProcessPlan, sync: SyncChannel, target: Target, console: Int32) -> Never {
    // The parent blocked the signals it forwards; the exec'd process starts with none blocked.
    ForwardedSignals.unblockAll()
    var context = InitContext(kernel: LinuxSyscalls(), sync: sync, consoleSocket: console)
    do {
      let e = try setUp(process, target, &context)
      sync.sendError(RuntimeError("exec", reason: "\"\(process.args[0])\": \(SystemError.describe(e))", errno: e))
      _exit(127)
    } catch InitAbort.parentGone {
    } catch InitAbort.failed(let error, let operation, let channel) {
      channel.sendFailure(error, operation: operation)
    } catch {
      sync.sendFailure(error, operation: "exec")
    }
    _exit(1)
  }

  /// Every step from the clone to execve; returns only if execve failed (its errno).
  static func setUp<K>(_ process: ProcessPlan, _ target: Target, _ context: inout InitContext<K>) throws -> Int32 {
    let sync = context.sync
    let kernel = context.kernel
    // ExecLauncher closed this process's copy of the container's lock right after the clone:
    // only now may the parent attach it to cgroups that may be frozen.
    guard sync.send(.lockReleased) else { throw InitAbort.parentGone }
    try sync.expect(.go)
    if process.listenerState != nil {
      try ProcessSetup.recordHostPid(&context)
      context.listenerParent = sync.fd
    }
    // While the host's paths are reachable: before setns into the container's mount namespace.
    try SeccompSetup.connectListener(process, &context)
    if target.namespaces != 0 && kernel.setns(target.pidfd, target.namespaces) != 0 {
      throw SystemError("setns", "container namespaces (flags \(target.namespaces))")
    }
    close(target.pidfd)
    if target.root >= 0 {
      _ = try check("fchdir", "container root") { kernel.fchdir(target.root) }
      _ = try check("chroot", "container root") { kernel.chroot(".") }
      close(target.root)
    }
    try ProcessSetup.closeInheritedFds(
      process, keep: [sync.fd, context.consoleSocket, context.listenerSocket], context)
    if let containerID = target.sessionKeyringOf {
      try ProcessSetup.joinSessionKeyring(containerID: containerID, context)
    }
    try ProcessSetup.enterWorkingDirectory(process.cwd, context)
    if process.terminal {
      try ProcessSetup.setupConsole(process, context, bindConsole: false)
    } else {
      try ProcessSetup.enterOwnSession(context)
    }
    let executable = try ProcessSetup.resolveExecutable(process, context)
    let prepared = ProcessSetup.PreparedExec(
      path: executable, args: process.args,
      env: ProcessSetup.environment(process, context))
    try ProcessSetup.applyLimits(process, context)
    try ProcessSetup.markFdsCloseOnExec(process, keep: [sync.fd], context)
    try ProcessSetup.applyIdentity(process, context)
    sync.send(.ready)
    return prepared.execute(kernel)
  }
}
