import Glibc
import LinuxKit
import Seccomp

/// The child's side of linux.seccomp: connect to the agent early, load the filter late, and
/// hand the listener to the parent (ListenerHandoff is the parent's side).
///
///   before pivot_root (or setns)   connect to listenerPath          (a host path, reachable now)
///   applyIdentity                  seccomp(SET_MODE_FILTER) → listener fd
///                                  write seccompListener + listener + socket + state to the parent (one write)
///                                  read seccompListenerSent: the agent holds the listener (nothing else in between)
enum SeccompSetup {
  /// Connects to linux.seccomp.listenerPath when the filter notifies. An agent that is not
  /// there fails create, as with runc (the listener goes to it at start).
  static func connectListener<K>(_ plan: ProcessPlan, _ context: inout InitContext<K>) throws {
    guard plan.seccomp?.usesNotify == true else { return }
    guard plan.listenerState != nil, let path = plan.seccompListenerPath else {
      throw RuntimeError(
        "plan", "linux.seccomp.listenerPath", reason: "SCMP_ACT_NOTIFY is used but no agent state or path was planned",
        errno: EINVAL)
    }
    do { try SeccompNotify.checkListenerPath(path) } catch {
      throw RuntimeError(
        "failed to connect with seccomp agent (linux.seccomp.listenerPath)", path, reason: error.reason,
        errno: error.errno)
    }
    let socket = context.kernel.connectUnix(path)
    if socket < 0 {
      throw RuntimeError(
        "failed to connect with seccomp agent (linux.seccomp.listenerPath)", path,
        reason: SystemError.describe(errno), errno: errno)
    }
    context.listenerSocket = socket
  }

  /// Loads linux.seccomp. With SCMP_ACT_NOTIFY the hand-off message is made before the load
  /// (SeccompNotify.handoffMessage); after it, one write(2) and one read(2) of the reply.
  static func load<K>(_ plan: ProcessPlan, _ context: InitContext<K>) throws {
    guard let program = plan.seccomp else { return }
    let kernel = context.kernel
    var handoff: [UInt8] = []
    if program.usesNotify {
      // The plan asks for a listener: without a connection to the agent and a channel to the
      // parent, it could reach no one (create and run once lost it this way).
      guard var state = plan.listenerState, context.listenerSocket >= 0, context.listenerParent >= 0 else {
        throw RuntimeError(
          "send seccomp listener to", plan.seccompListenerPath ?? "linux.seccomp.listenerPath",
          reason: "no connection to the seccomp agent or to the runtime was set up", errno: EINVAL)
      }
      state.pid = context.statePid
      do {
        handoff = try SeccompNotify.handoffMessage(
          tag: SyncMessage.seccompListener.rawValue, socket: context.listenerSocket,
          stateJSON: state.json(), metadata: plan.seccompListenerMetadata)
      } catch {
        throw RuntimeError(
          "send seccomp listener to", plan.seccompListenerPath ?? "", reason: error.reason, errno: error.errno)
      }
    }
    let listener: Int32
    do { listener = try program.load(using: kernel) } catch {
      throw RuntimeError(error.operation, error.field, reason: error.reason, errno: error.errno)
    }
    guard program.usesNotify else { return }
    guard listener >= 0 else {
      throw RuntimeError(
        "seccomp(SECCOMP_SET_MODE_FILTER)", "linux.seccomp", reason: "no listener fd for SCMP_ACT_NOTIFY",
        errno: EPROTO)
    }
    // Our copies go once the parent holds its own (or if it failed: we then exit).
    defer {
      close(listener)
      close(context.listenerSocket)
    }
    SeccompNotify.fillListener(listener, into: &handoff)
    let written = handoff.withUnsafeBytes { kernel.write(context.listenerParent, $0) }
    var reply: UInt8 = 0
    let read = withUnsafeMutableBytes(of: &reply) { kernel.read(context.listenerParent, $0) }
    // The parent could not forward it and reports why.
    guard written == handoff.count, read == 1, reply == SyncMessage.seccompListenerSent.rawValue else {
      throw InitAbort.parentGone
    }
  }
}
