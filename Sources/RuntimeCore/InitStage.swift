import CLinux
import Glibc
import LinuxKit
import OCISpec

/// The container's init before execve: hull itself, cloned (not re-executed), still
/// single-threaded. It applies the plan and never reads the spec.
enum InitStage {
  /// How the init learns that `start` was called.
  enum StartSignal {
    case listening(Int32)   // create: accept one connection on <state>/exec.sock
    case channel            // run: "s" on the sync channel
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
    _ = hk_unblock_all_signals()
    do {
      try setUp(plan, fds)
    } catch {
      fds.sync.sendFailure(error, operation: "container init")
      _exit(1)
    }
    _exit(1)
  }

  private static func setUp(_ plan: LaunchPlan, _ fds: Descriptors) throws {
    let sync = fds.sync
    // The state JSON given to createContainer/startContainer hooks carries the host pid.
    if plan.process.listenerState != nil || !plan.hooks.createContainer.isEmpty || !plan.hooks.startContainer.isEmpty {
      ProcessSetup.recordHostPid()
    }
    if fds.waitForParent {
      guard let message = sync.receive(), message.tag == UInt8(ascii: "G") else { _exit(1) }
    }
    if plan.newUserNamespace {
      _ = try check("setresgid 0 (user namespace)") { hk_setresgid(0) }
      _ = try check("setresuid 0 (user namespace)") { hk_setresuid(0) }
    }
    for join in plan.joinInChild {
      try LinuxNamespace.join(join.kind, path: join.path)
    }
    if fds.unshareCgroupNamespace {
      // After the parent moved us into our cgroups, so the namespace's root is the container's cgroup.
      _ = try check("unshare cgroup namespace") { hk_unshare(Int32(LinuxNamespace.cgroup.cloneFlag)) }
    }
    if plan.cloneFlags & LinuxNamespace.network.cloneFlag != 0 { try LinuxNamespace.bringLoopbackUp() }
    if !plan.noNewKeyring {
      // As runc: a session keyring of the container's own ("_ses.<id>", which exec'd processes
      // join too), so the container cannot use the caller's keys. No keyrings (ENOSYS) is fine.
      try ProcessSetup.joinSessionKeyring(containerID: plan.id)
    }
    // As runc: an agent that is not there fails create (the listener goes to it at start).
    try ProcessSetup.connectListener(plan.process)
    try RootfsSetup.prepare(plan)
    if plan.hasCreateHooks {
      sync.send(UInt8(ascii: "h"))
      guard let reply = sync.receive(), reply.tag == UInt8(ascii: "H") else { _exit(1) }
      try HookRunner.run(plan.hooks.createContainer, kind: "createContainer",
                         state: StateJSON.render(plan: plan, status: .created, pid: ProcessSetup.hostPid > 0 ? ProcessSetup.hostPid : getpid()),
                         inherited: plan.process.env)
    }
    try RootfsSetup.pivot(plan)
    try RootfsSetup.reopenDevNull(plan)
    // Sysctls before readonlyPaths make /proc/sys read-only (runc's order; docker sets net.* sysctls).
    try ProcessSetup.applyHostnameAndSysctl(plan)
    try RootfsSetup.finish(plan)
    var ownSockets = [sync.fd, fds.consoleSocket, ProcessSetup.listenerSocket]
    if case .listening(let fd) = fds.start { ownSockets.append(fd) }
    ProcessSetup.closeInheritedFds(plan.process, keep: ownSockets)
    try ProcessSetup.enterWorkingDirectory(plan.process.cwd)
    if plan.process.terminal { try ProcessSetup.setupConsole(plan.process, socket: fds.consoleSocket) } else { ProcessSetup.enterOwnSession() }
    let executable = try ProcessSetup.resolveExecutable(plan.process)
    let prepared = ProcessSetup.PreparedExec(path: executable, args: plan.process.args,
                                             env: ProcessSetup.environment(plan.process))
    try ProcessSetup.applyLimits(plan.process)
    var ownFds = [sync.fd, ProcessSetup.listenerSocket]
    if case .listening(let fd) = fds.start { ownFds.append(fd) }
    ProcessSetup.markFdsCloseOnExec(plan.process, keep: ownFds)
    _ = hk_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)

    sync.send(UInt8(ascii: "r"))
    let reply: SyncChannel
    switch fds.start {
    case .channel:
      guard let message = sync.receive(), message.tag == UInt8(ascii: "s") else { _exit(1) }
      reply = sync
    case .listening(let listener):
      // Wait until the parent has written state.json and the pid file: if it dies first
      // (killed mid-create), this init must not stay behind waiting for a start.
      guard let ack = sync.receive(), ack.tag == UInt8(ascii: "A") else { _exit(1) }
      sync.close()
      while true {
        let connection = hk_accept4_cloexec(listener)
        if connection < 0 { if errno == EINTR { continue }; _exit(1) }
        let channel = SyncChannel(fd: connection)
        if let message = channel.receive(), message.tag == UInt8(ascii: "s") {
          close(listener)
          reply = channel
          break
        }
        channel.close()
      }
    }
    ProcessSetup.listenerParent = reply.fd
    do {
      // As runc and crun: startContainer hooks run as the container's process will, with its
      // user, capabilities, no_new_privs and seccomp filter. (Without hooks nothing else runs
      // between the filter and execve.)
      try ProcessSetup.applyIdentity(plan.process)
      if !plan.hooks.startContainer.isEmpty {
        try HookRunner.run(plan.hooks.startContainer, kind: "startContainer",
                           state: StateJSON.render(plan: plan, status: .running, pid: ProcessSetup.hostPid > 0 ? ProcessSetup.hostPid : getpid()),
                           inherited: ProcessSetup.environment(plan.process))
      }
    } catch {
      reply.sendFailure(error, operation: "start container")
      _exit(1)
    }
    let e = prepared.execute()
    reply.sendError(RuntimeError("exec", reason: "\"\(plan.process.args[0])\": \(SystemError.describe(e))", errno: e))
    _exit(127)
  }
}
