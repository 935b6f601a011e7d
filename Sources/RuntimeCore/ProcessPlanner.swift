import Capabilities
import Glibc
import LinuxKit
import OCISpec
import Seccomp

/// OCI process → ProcessPlan, for the container's init (create, run) and for exec. Pure but
/// for what `host` says (capabilities it can grant, LSMs).
public enum ProcessPlanner {
  public static func plan<H: HostFacts>(
    _ process: Process, hasConsole: Bool, preserveFds: Int32,
    personality: Personality? = nil, host: H
  ) throws(RuntimeError) -> ProcessPlan {
    var plan = ProcessPlan(
      args: process.args, env: process.env, cwd: process.cwd, uid: process.user.uid, gid: process.user.gid,
      additionalGids: process.user.additionalGids, umask: process.user.umask ?? 0o022)
    for (index, limit) in process.rlimits.enumerated() {
      guard let resource = rlimitResource(limit.type) else {
        throw RuntimeError(
          "plan", "config.json", reason: "process.rlimits[\(index)].type: unknown rlimit \"\(limit.type)\"",
          errno: EINVAL)
      }
      plan.rlimits.append(.init(resource: resource, name: limit.type, soft: limit.soft, hard: limit.hard))
    }
    plan.noNewPrivileges = process.noNewPrivileges
    plan.oomScoreAdj = process.oomScoreAdj
    if let caps = process.capabilities {
      plan.capabilities = CapabilityPlan(
        bounding: caps.bounding, effective: caps.effective, permitted: caps.permitted,
        inheritable: caps.inheritable, ambient: caps.ambient,
        lastCapability: host.lastCapability, inBoundingSet: host.inBoundingSet)
    } else {
      plan.capabilities = CapabilityPlan(lastCapability: host.lastCapability)  // none listed: the process gets none
    }
    plan.terminal = process.terminal
    if let size = process.consoleSize { plan.consoleSize = (size.height, size.width) }
    if plan.terminal && !hasConsole {
      throw RuntimeError(
        "plan", "config.json", reason: "process.terminal is true: --console-socket is required", errno: EINVAL)
    }
    plan.preserveFds = preserveFds
    plan.attributes = try ProcessAttributes.plan(process: process, personality: personality, host: host)
    try refuseUnavailableLSM(process, host: host)
    return plan
  }

  /// No AppArmor or SELinux on the host: a profile or label that cannot be applied is an
  /// error rather than a container that silently runs unconfined (features says so too).
  static func refuseUnavailableLSM<H: HostFacts>(_ process: Process, host: H) throws(RuntimeError) {
    if let profile = process.apparmorProfile, !profile.isEmpty, !host.apparmorEnabled {
      throw RuntimeError(
        "plan", "config.json", reason: "process.apparmorProfile \"\(profile)\": AppArmor is not enabled on this host",
        errno: ENOTSUP)
    }
    if let label = process.selinuxLabel, !label.isEmpty, !host.selinuxEnabled {
      throw RuntimeError(
        "plan", "config.json", reason: "process.selinuxLabel \"\(label)\": SELinux is not enabled on this host",
        errno: ENOTSUP)
    }
  }

  /// Compiles linux.seccomp with libseccomp here, in the parent, before the clone. With a
  /// cache directory (StateStore.seccompCacheDirectory), a profile compiled before is read back
  /// instead: docker's default profile costs ~9 ms to compile and ~30 µs to read (see
  /// SeccompCache). A filter that notifies gets `state` as the container process state its
  /// listener is sent with (the child fills in its pid). Returns the compiler's warnings.
  public static func addSeccomp(
    _ seccomp: OCISpec.Seccomp?, to plan: inout ProcessPlan, cacheDirectory: String?,
    state: ContainerState
  ) throws(RuntimeError) -> [String] {
    guard let seccomp else { return [] }
    do {
      if let cacheDirectory {
        plan.seccomp = try SeccompProgram.compile(seccomp, cacheDirectory: cacheDirectory)
      } else {
        plan.seccomp = try SeccompProgram.compile(seccomp)
      }
    } catch {
      throw RuntimeError("compile seccomp filter", error.field, reason: error.description, errno: error.errno)
    }
    plan.seccompListenerPath = seccomp.listenerPath
    plan.seccompListenerMetadata = seccomp.listenerMetadata
    if plan.seccomp?.usesNotify == true { plan.listenerState = state }
    return plan.seccomp?.warnings ?? []
  }
}

extension StateStore {
  /// Compiled seccomp profiles, shared by the containers of this --root (see SeccompCache).
  public var seccompCacheDirectory: String { root + "/.seccomp-cache" }
}
