import Glibc
import LinuxKit
import OCISpec

/// The container's init before execve: hull itself, cloned (not re-executed), still
/// single-threaded. It applies the plan and never reads the spec.
enum InitStage {
  /// How the init learns that `start` was called.
  enum StartSignal {
    case listening(Int32)  // create: accept one connection on <state>/exec.sock
    case channel  // run: "s" on the sync channel
  }

  struct Descriptors {
    var sync: SyncChannel
    var start: StartSignal
    var consoleSocket: Int32
    var waitForParent: Bool
    var unshareCgroupNamespace: Bool
    /// The parent's flock on the state directory: the init must not keep holding it.
    var stateLock: Int32
  }

  static func run(_ plan: LaunchPlan, _ fds: Descriptors) -> Never {
    close(fds.stateLock)
    // The parent blocked the signals it forwards; the container's process starts with none blocked.
    ForwardedSignals.unblockAll()
    var context = InitContext(kernel: LinuxSyscalls(), sync: fds.sync, consoleSocket: fds.consoleSocket)
    do {
      let (e, reply) = try setUp(plan, fds, &context)
      reply.sendError(RuntimeError("exec", reason: "\"\(plan.process.args[0])\": \(SystemError.describe(e))", errno: e))
      _exit(127)
    } catch InitAbort.failed(let error, let operation, let channel) {
      channel.sendFailure(error, operation: operation)
    } catch InitAbort.parentGone {
    } catch {
      fds.sync.sendFailure(error, operation: "container init")
    }
    _exit(1)
  }

  /// Every step from the clone to execve, in order; returns only if execve failed (its errno,
  /// and the channel that reports it). Errors before `start` go to the parent on the sync
  /// channel; after it, InitAbort.failed names the channel of `start`.
  static func setUp<K>(_ plan: LaunchPlan, _ fds: Descriptors, _ context: inout InitContext<K>)
    throws -> (errno: Int32, reply: SyncChannel)
  {
    let sync = context.sync
    let kernel = context.kernel
    // The state JSON given to createContainer/startContainer hooks carries the host pid.
    if plan.process.listenerState != nil || !plan.hooks.createContainer.isEmpty || !plan.hooks.startContainer.isEmpty {
      try ProcessSetup.recordHostPid(&context)
    }
    if fds.waitForParent { try sync.expect(.go) }
    if plan.newUserNamespace {
      _ = try check("setresgid 0 (user namespace)") { kernel.setresgid(0) }
      _ = try check("setresuid 0 (user namespace)") { kernel.setresuid(0) }
    }
    for join in plan.joinInChild {
      try LinuxNamespace.join(join.kind, path: join.path, using: kernel)
    }
    if fds.unshareCgroupNamespace {
      // After the parent moved us into our cgroups, so the namespace's root is the container's cgroup.
      _ = try check("unshare cgroup namespace") { kernel.unshare(Int32(LinuxNamespace.cgroup.cloneFlag)) }
    }
    if plan.cloneFlags & LinuxNamespace.network.cloneFlag != 0 { try LinuxNamespace.bringLoopbackUp(using: kernel) }
    if !plan.noNewKeyring {
      // As runc: a session keyring of the container's own ("_ses.<id>", which exec'd processes
      // join too), so the container cannot use the caller's keys. No keyrings (ENOSYS) is fine.
      try ProcessSetup.joinSessionKeyring(containerID: plan.id, context)
    }
    // While the host's paths are reachable: the listener goes to this agent at start.
    try SeccompSetup.connectListener(plan.process, &context)
    try RootfsSetup.prepare(plan, context)
    if plan.hasCreateHooks {
      sync.send(.runCreateHooks)
      try sync.expect(.createHooksDone)
      try HookRunner.run(
        plan.hooks.createContainer, kind: "createContainer",
        state: StateJSON.render(plan: plan, status: .created, pid: context.statePid),
        inherited: plan.process.env)
    }
    try RootfsSetup.pivot(plan, context)
    try RootfsSetup.reopenDevNull(plan, context)
    // Sysctls before readonlyPaths make /proc/sys read-only (runc's order; docker sets net.* sysctls).
    try ProcessSetup.applyHostnameAndSysctl(plan, context)
    try RootfsSetup.finish(plan, context)
    var ownSockets = [sync.fd, context.consoleSocket, context.listenerSocket]
    if case .listening(let fd) = fds.start { ownSockets.append(fd) }
    try ProcessSetup.closeInheritedFds(plan.process, keep: ownSockets, context)
    try ProcessSetup.enterWorkingDirectory(plan.process.cwd, context)
    if plan.process.terminal {
      try ProcessSetup.setupConsole(plan.process, context)
    } else {
      try ProcessSetup.enterOwnSession(context)
    }
    let executable = try ProcessSetup.resolveExecutable(plan.process, context)
    let prepared = ProcessSetup.PreparedExec(
      path: executable, args: plan.process.args,
      env: ProcessSetup.environment(plan.process, context))
    try ProcessSetup.applyLimits(plan.process, context)
    var ownFds = [sync.fd, context.listenerSocket]
    if case .listening(let fd) = fds.start { ownFds.append(fd) }
    try ProcessSetup.markFdsCloseOnExec(plan.process, keep: ownFds, context)
    // No core dumps and no ptrace by the container's processes while hull's memory (the plan)
    // is this process's; execve makes it dumpable again unless the program is setuid.
    _ = try check("prctl PR_SET_DUMPABLE") { kernel.prctl(PR_SET_DUMPABLE, 0) }

    sync.send(.ready)
    let reply = try waitForStart(fds.start, sync)
    context.listenerParent = reply.fd
    do {
      // As runc and crun: startContainer hooks run as the container's process will, with its
      // user, capabilities, no_new_privs and seccomp filter. (Without hooks nothing else runs
      // between the filter and execve.)
      try ProcessSetup.applyIdentity(plan.process, context)
      if !plan.hooks.startContainer.isEmpty {
        try HookRunner.run(
          plan.hooks.startContainer, kind: "startContainer",
          state: StateJSON.render(plan: plan, status: .running, pid: context.statePid),
          inherited: ProcessSetup.environment(plan.process, context))
      }
    } catch InitAbort.parentGone {
      throw InitAbort.parentGone
    } catch {
      throw InitAbort.failed(error, operation: "start container", channel: reply)
    }
    return (prepared.execute(kernel), reply)
  }

  /// Waits for `start`: "s" on the sync channel (run), or a connection on exec.sock that
  /// sends "s" (create). Returns the channel that `start` listens on.
  static func waitForStart(_ start: StartSignal, _ sync: SyncChannel) throws -> SyncChannel {
    switch start {
    case .channel:
      try sync.expect(.start)
      return sync
    case .listening(let listener):
      // Wait until the parent has written state.json and the pid file: if it dies first
      // (killed mid-create), this init must not stay behind waiting for a start.
      try sync.expect(.stateSaved)
      sync.close()
      // Waiting may last: hull's clean pages need not count against the container meanwhile
      // (4.3 of this init's 4.8 MB Pss: the static binary is mapped by nobody else). Failure
      // only leaves them mapped.
      _ = ExecutableImage.releaseCleanPages()
      while true {
        let connection = ExecSocket.accept(listener)
        if connection < 0 {
          if errno == EINTR { continue }
          throw InitAbort.parentGone
        }
        let channel = SyncChannel(fd: connection)
        if let message = channel.receive(), message.kind == .start {
          close(listener)
          return channel
        }
        channel.close()
      }
    }
  }
}
