import Glibc
import LinuxKit

/// What the container's init (InitStage) or an exec'd process (ExecChild) carries from one
/// setup step to the next before execve: the kernel it calls, its channel to the parent, and
/// what earlier steps learnt. One value, handed to InitStage → ProcessSetup → RootfsSetup →
/// CgroupMount; no step keeps state of its own.
struct InitContext<Kernel: Syscalls> {
  let kernel: Kernel
  /// The sync channel to the parent (see SyncChannel).
  let sync: SyncChannel
  /// --console-socket (or run's and exec's own pair) when process.terminal; -1 otherwise.
  var consoleSocket: Int32 = -1
  /// This process's pid in the host's pid namespace, read from the host's /proc before any
  /// mount changes it (getpid() says 1 inside a new pid namespace); 0 until read.
  var hostPid: Int32 = 0
  /// Connected to linux.seccomp.listenerPath while the host's paths are still reachable
  /// (before pivot_root, or before joining the container's mount namespace); -1 if none.
  var listenerSocket: Int32 = -1
  /// The channel on which the listener is handed to the parent (see ListenerHandoff): the
  /// sync channel, or the connection `start` made on exec.sock; -1 until known.
  var listenerParent: Int32 = -1

  init(kernel: Kernel, sync: SyncChannel, consoleSocket: Int32 = -1) {
    self.kernel = kernel
    self.sync = sync
    self.consoleSocket = consoleSocket
  }

  /// The pid given to hooks and the seccomp agent: the host's when it was read.
  var statePid: Int32 { hostPid > 0 ? hostPid : getpid() }
}

/// Why the init (or an exec'd process) stops before execve.
enum InitAbort: Error {
  /// A step failed: `error` goes to the parent on `channel` (the sync channel, or the
  /// connection of `start`), then the process exits 1.
  case failed(any Error, operation: String, channel: SyncChannel)
  /// The parent went away or broke the protocol (it reports what happened): exit 1 quietly.
  case parentGone
}
