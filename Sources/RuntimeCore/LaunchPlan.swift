import Capabilities
import Cgroups
import LinuxKit
import OCISpec
import Seccomp

/// Everything the launcher and the container's init need, computed once before the
/// clone from the spec, the command's options and the host (runc's specconv step).
/// The child only applies it: it never reads the spec again.
public struct LaunchPlan: Sendable {
  public struct MountStep: Sendable {
    public var source: String?  // host path for binds (absolute), else the fs source
    public var destination: String  // absolute inside the rootfs
    public var type: String?
    public var flags: UInt
    public var data: String?
    public var propagation: [UInt]
    public var remountFlags: UInt?  // bind mounts with ro/nosuid/...: a second, remount step
    public var recursiveAttributes: UInt = 0  // MOUNT_ATTR_* of rro, rnosuid, …: mount_setattr(AT_RECURSIVE)
    public var idmap: IDMap?
    /// A bind source opened by the launcher before the clone (open_tree, with the runtime's
    /// host credentials, idmapped there if asked); the init only moves it in place.
    public var detachedTreeFD: Int32 = -1
    public var targetIsFile: Bool
    public var isCgroup: Bool
    /// tmpfs and /dev with `ro`: mounted writable so that submount points, devices and the
    /// mode can be made, remounted read-only after pivot_root (runc's finalizeRootfs).
    public var readonlyAfterSetup = false
  }

  /// An idmapped bind mount (runtime-spec 1.2 `idmap`/`ridmap`, or mount uid/gid mappings).
  public struct IDMap: Sendable {
    public var uidMap: String
    public var gidMap: String
    public var recursive: Bool
  }

  public struct DeviceNode: Sendable {
    public var path: String
    public var type: Character  // c, b, u, p
    public var major: UInt32
    public var minor: UInt32
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// With a user namespace and no such node on the host: one made by the launcher (see
    /// BindSources.openDevices), moved in place by the init.
    public var detachedTreeFD: Int32 = -1
  }

  public var id: String
  public var bundle: String
  public var rootfs: String
  public var stateDir: String

  // Namespaces
  public var cloneFlags: UInt64 = 0
  public struct NamespaceJoin: Sendable {
    public var kind: LinuxNamespace
    public var path: String
  }
  public struct Symlink: Sendable {
    public var target: String
    public var link: String
  }

  public var joinInChild: [NamespaceJoin] = []  // user first
  public var joinInParent: [NamespaceJoin] = []  // pid, time: they affect children
  public var newUserNamespace = false
  public var newMountNamespace = false
  /// linux.namespaces gives a mount namespace by path: the rootfs is set up inside it (runc, crun).
  public var joinedMountNamespace = false
  /// No mount namespace of the container's own: its mounts are made in the runtime's
  /// namespace and the process is chrooted into the rootfs (runc's and crun's way).
  public var sharesMountNamespace: Bool { !newMountNamespace && !joinedMountNamespace }
  public var uidMap: String?
  public var gidMap: String?
  public var denySetgroups = false
  public var timeOffsets: String?

  // Root file system
  public var rootfsPropagation: UInt
  public var applyRootPropagationAfterPivot: UInt?
  public var rootReadonly = false
  public var noPivot = false
  /// Without it the init joins a new anonymous session keyring (runc's default).
  public var noNewKeyring = false
  public var mounts: [MountStep] = []
  public var devices: [DeviceNode] = []
  public var devSymlinks: [Symlink] = []
  public var maskedPaths: [String] = []
  public var readonlyPaths: [String] = []
  public var hostname: String?
  public var domainname: String?
  public var sysctl: [(key: String, value: String)] = []

  // Process
  public var process: ProcessPlan

  // Cgroups
  public var cgroup: CgroupSet?
  public var cgroupLimits = CgroupLimits()
  /// Rootless and no limits: a hierarchy that refuses us is skipped rather than fatal.
  public var cgroupOptional = false
  /// --systemd-cgroup: the unit systemd makes the cgroup for, once the init's pid is known.
  public var systemdUnit: SystemdUnit?

  // Hooks (as the spec gives them) and the spec's annotations for state JSON.
  public var hooks: Hooks
  public var annotations: [(key: String, value: String)]
  public var ociVersion: String
  public var warnings: [String] = []

  public var hasCreateHooks: Bool {
    !hooks.prestart.isEmpty || !hooks.createRuntime.isEmpty || !hooks.createContainer.isEmpty
  }
}

/// The container process's attributes: the init's (create/run) or an exec'd process's.
public struct ProcessPlan: Sendable {
  public struct Rlimit: Sendable {
    public var resource: Int32
    public var name: String
    public var soft: UInt64
    public var hard: UInt64
  }

  public var args: [String]
  public var env: [String]
  public var cwd: String
  public var uid: UInt32
  public var gid: UInt32
  public var additionalGids: [UInt32]
  public var umask: UInt32
  public var rlimits: [Rlimit] = []
  public var noNewPrivileges = false
  public var oomScoreAdj: Int?
  public var capabilities: CapabilityPlan?
  public var terminal = false
  public var consoleSize: (rows: UInt16, cols: UInt16)?
  public var preserveFds: Int32 = 0
  /// False inside a user namespace whose setgroups is denied.
  public var setgroupsAllowed = true
  /// personality, scheduler, ioPriority, execCPUAffinity.
  public var attributes = ProcessAttributes()
  /// linux.seccomp compiled to BPF in the parent; the child only loads it.
  public var seccomp: SeccompProgram?
  public var seccompListenerPath: String?
  public var seccompListenerMetadata: String?
  /// The state sent with a seccomp notify listener fd (container-process-state); the
  /// child fills in its host pid.
  public var listenerState: ContainerState?
}
