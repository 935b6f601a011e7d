import Cgroups
import Glibc
import LinuxKit

/// The parent side of starting a process in a container, once for both kinds: the container's
/// init (create and run, InitLaunch) and a process joining a running container (exec,
/// ExecLaunch) — runc's parentProcess with its initProcess and setnsProcess. The shared steps,
/// in their order:
///
///   console end (consoleEnd) and sync pair (syncPair): made by the caller where its other steps
///   allow (before create joins namespaces in the parent; after exec's setns pid/time)
///   clone3, into the unified cgroup when the caller opened it ──► the child runs kind.runChild
///   our copy of the child's end closed (a child dying without a word is then EOF, not a hang)
///   kind.handshake: cgroup attach and the kind's messages, until the child reports ready
///   kind.recordState (the init's state.json), then the pid file: it names a process set up
///
/// A failure from the clone to the pid file kills and reaps the child as kind.reaping says,
/// once, here; the caller then undoes only what it made itself (cgroups, state directory) and
/// reports the error. Once launch returns, the child is the caller's (exec's console hand-off
/// kills it with the same killAndReap).
protocol ChildKind: ~Copyable {
  /// What a failure of the shared steps reports as its operation.
  var operation: String { get }
  /// Written once the child is ready and recorded; nil: none.
  var pidFile: String? { get }
  /// How a child that must die is killed and reaped.
  var reaping: ChildProcess.Reaping { get }
  /// The child's side, in the clone (the parent's end of the sync pair is closed): never returns.
  func runChild(sync: SyncChannel, console: Int32) -> Never
  /// From the clone until the child reports ready: cgroup attach and this kind's messages
  /// (the first step after the clone: it traces the clone too).
  mutating func handshake(_ child: ChildProcess) throws(RuntimeError)
  /// What must be on disk before the pid file names the child.
  mutating func recordState(_ child: ChildProcess) throws(RuntimeError)
}

/// A child cloned by ChildLauncher, seen from the parent.
struct ChildProcess {
  let pid: Int32
  /// clone3's CLONE_PIDFD: signals reach this process even once its pid is reused.
  let pidfd: Int32
  /// Whether clone3 placed it in the unified cgroup (CLONE_INTO_CGROUP): no move needed there.
  let placedInUnified: Bool
  /// The parent's end of the sync channel.
  let sync: SyncChannel

  enum Reaping {
    /// The container's init: its cgroup (its own) thawed if frozen, for a frozen process dies only
    /// once thawed; then waited for.
    case thawingThenWaiting(CgroupSet?)
    /// An exec'd process: the container's cgroup is not ours to thaw (--ignore-paused, or a pause
    /// meanwhile), so a process that does not die within `timeoutMs` is not waited for.
    case waitingAtMost(timeoutMs: Int32)
  }

  /// SIGKILL, then reap as `reaping` says; the pidfd is closed.
  func killAndReap(_ reaping: Reaping) {
    // Already gone is fine (the send fails only then): the reap below collects it.
    if pidfd >= 0 { PidFD.send(SIGKILL, to: pidfd) } else { kill(pid, SIGKILL) }
    switch reaping {
    case .thawingThenWaiting(let cgroup):
      if cgroup?.frozenDirectory != nil { try? cgroup?.setFrozen(false) }
      ForegroundRun.reap(pid)
    case .waitingAtMost(let timeoutMs):
      if PidFD.waitReadable(pidfd, timeoutMs: timeoutMs) { ForegroundRun.reap(pid) }
    }
    if pidfd >= 0 { close(pidfd) }
  }
}

enum ChildLauncher {
  /// The console end the child gets when the process has a terminal: --console-socket
  /// connected, or a copy of the caller's own socket (run's and exec's ConsoleProxy), which the
  /// caller closes like a connected one (it keeps its own end); -1 otherwise.
  static func consoleEnd(terminal: Bool, socketPath: String?, channel: Int32) throws(RuntimeError) -> Int32 {
    guard terminal else { return -1 }
    if let socketPath { return try ExecSocket.connect(path: socketPath, what: "console socket") }
    return channel >= 0 ? dup(channel) : -1
  }

  /// Both ends of the sync channel (see SyncChannel), close-on-exec.
  static func syncPair() throws(RuntimeError) -> (parent: SyncChannel, child: SyncChannel) {
    do { return try SyncChannel.pair() } catch { throw RuntimeError(error) }
  }

  /// Clones the child (`flags`: CLONE_NEW*; `cgroupFD`: the unified cgroup to be born in, or -1;
  /// closed here), then supervises it to its ready (see `supervise`).
  static func launch<Kind: ChildKind & ~Copyable>(
    _ kind: inout Kind, flags: UInt64, cgroupFD: Int32, channels: (parent: SyncChannel, child: SyncChannel),
    console: Int32
  ) throws(RuntimeError) -> ChildProcess {
    var pidfd: Int32 = -1
    var pid = Clone.clone3(flags: flags, pidfd: &pidfd, cgroupFD: cgroupFD)
    let placedInUnified = pid >= 0 && cgroupFD >= 0
    if pid < 0 && cgroupFD >= 0 && (errno == EINVAL || errno == EOPNOTSUPP || errno == EBUSY) {
      pid = Clone.clone3(flags: flags, pidfd: &pidfd)  // a kernel or cgroup state that refuses direct placement
    }
    if cgroupFD >= 0 && pid != 0 { close(cgroupFD) }
    if pid < 0 {
      let error = SystemError(flags == 0 ? "clone3" : "clone3 (namespaces \(flags))")
      channels.child.close()
      channels.parent.close()
      throw RuntimeError(error, context: kind.operation)
    }
    if pid == 0 {
      channels.parent.close()
      kind.runChild(sync: channels.child, console: console)
    }
    // Our copy of the child's end must go now: if the child dies without a word, the
    // handshake's receive then sees EOF instead of waiting forever.
    channels.child.close()
    let child = ChildProcess(pid: pid, pidfd: pidfd, placedInUnified: placedInUnified, sync: channels.parent)
    try supervise(child, &kind)
    return child
  }

  /// The steps after the clone: the kind's handshake, its record, the pid file. On failure the
  /// child is killed and reaped (once: callers undo only what they made) and the channel closed.
  static func supervise<Kind: ChildKind & ~Copyable>(_ child: ChildProcess, _ kind: inout Kind) throws(RuntimeError) {
    do {
      try kind.handshake(child)
      try kind.recordState(child)
      if let pidFile = kind.pidFile { try StateStore.writePidFile(pidFile, pid: child.pid) }
    } catch {
      child.killAndReap(kind.reaping)
      child.sync.close()
      throw error
    }
  }
}
