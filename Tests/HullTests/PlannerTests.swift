// Spec → LaunchPlan without root and without touching the host (runc's specconv tests are the
// model): the default `hull spec` config changed one field family at a time, planned against a
// FakeHost. The kernel side of each field is InitSequenceTests' business.
import Cgroups
import Glibc
import LinuxKit
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("planner: spec → launch plan") struct PlannerTests {
  static let bundle = "/bundles/unit"

  static func spec(_ change: (inout Spec) -> Void = { _ in }) throws -> Spec {
    var spec = try Spec.parse(Array(DefaultSpec.json(rootless: false).utf8))
    spec.process?.terminal = false
    change(&spec)
    return spec
  }

  static func plan(
    host: FakeHost = FakeHost(), rootless: Bool = false, consoleSocket: String? = nil, noPivot: Bool = false,
    noNewKeyring: Bool = false, _ edit: (inout Spec) -> Void = { _ in }
  ) throws -> LaunchPlan {
    var options = LaunchOptions(id: "unit", bundle: bundle, stateDir: "/run/hull-unit/unit")
    options.rootless = rootless
    options.consoleSocket = consoleSocket
    options.noPivot = noPivot
    options.noNewKeyring = noNewKeyring
    return try Planner.plan(spec: try spec(edit), options: options, host: host)
  }

  /// The planner's error for a changed spec, nil when it plans.
  static func refusal(host: FakeHost = FakeHost(), _ edit: (inout Spec) -> Void) -> RuntimeError? {
    do { _ = try plan(host: host, edit) } catch let error as RuntimeError { return error } catch {
      Issue.record("not a RuntimeError: \(error)")
    }
    return nil
  }

  @Test(
    "process: args, env, cwd, user, umask and the extra groups are carried over; no_new_privs and oom_score_adj too")
  func process() throws {
    let plan = try Self.plan { spec in
      spec.process?.args = ["/bin/app", "--flag"]
      spec.process?.env = ["PATH=/bin", "A=1"]
      spec.process?.cwd = "/work"
      spec.process?.user = User(uid: 1000, gid: 100, umask: 0o027, additionalGids: [5, 6])
      spec.process?.noNewPrivileges = false
      spec.process?.oomScoreAdj = 500
    }
    let p = plan.process
    #expect(p.args == ["/bin/app", "--flag"] && p.env == ["PATH=/bin", "A=1"] && p.cwd == "/work")
    #expect(p.uid == 1000 && p.gid == 100 && p.umask == 0o027 && p.additionalGids == [5, 6])
    #expect(!p.noNewPrivileges && p.oomScoreAdj == 500)
    #expect(try Self.plan().process.umask == 0o022)  // runc's default
    #expect(Self.refusal { $0.process = nil }?.reason.contains("process") == true)
    #expect(Self.refusal { $0.process?.env.append("NOEQUALS") }?.reason.contains("process.env[2]") == true)
    #expect(Self.refusal { $0.process?.cwd = "/../etc" }?.reason.contains("process.cwd") == true)
  }

  @Test(
    "capabilities: names become numbers; unknown or not in the host's bounding set is a warning (an error under 1.0)")
  func capabilities() throws {
    var host = FakeHost()
    host.boundingSet = Array(0...40).filter { $0 != 21 }  // no CAP_SYS_ADMIN here
    let plan = try Self.plan(host: host) { spec in
      spec.process?.capabilities = Capabilities(
        bounding: ["CAP_KILL", "CAP_SYS_ADMIN", "CAP_NOPE"], effective: ["CAP_KILL"],
        permitted: ["CAP_KILL", "CAP_CHOWN"], ambient: ["CAP_KILL"])
    }
    let caps = try #require(plan.process.capabilities)
    #expect(caps.bounding == [5] && caps.effective == [5] && caps.permitted == [5, 0] && caps.ambient == [5])
    #expect(caps.lastCapability == 40)
    #expect(plan.warnings.contains { $0.contains("CAP_SYS_ADMIN") && $0.contains("bounding set") })
    #expect(plan.warnings.contains { $0.contains("unknown capability \"CAP_NOPE\"") })
    let strict = Self.refusal { spec in
      spec.ociVersion = "1.0.2"
      spec.process?.capabilities = Capabilities(bounding: ["CAP_NOPE"])
    }
    #expect(strict?.reason.contains("CAP_NOPE") == true)
    // No capabilities listed: the process gets none.
    #expect(try Self.plan { $0.process?.capabilities = nil }.process.capabilities?.bounding == [])
  }

  @Test("rlimits: names become resource numbers, in order; an unknown one is refused by index")
  func rlimits() throws {
    let plan = try Self.plan {
      $0.process?.rlimits = [
        Rlimit(type: "RLIMIT_NOFILE", hard: 10, soft: 5),
        Rlimit(type: "RLIMIT_CORE", hard: 0, soft: 0),
      ]
    }
    #expect(plan.process.rlimits.map(\.resource) == [Int32(RLIMIT_NOFILE.rawValue), Int32(RLIMIT_CORE.rawValue)])
    #expect(plan.process.rlimits.first.map { $0.soft == 5 && $0.hard == 10 } == true)
    #expect(
      Self.refusal { $0.process?.rlimits = [Rlimit(type: "RLIMIT_NOPE", hard: 1, soft: 1)] }?
        .reason.contains("process.rlimits[0].type") == true)
  }

  @Test(
    "mounts: flags and data split, binds get a remount for their flags, relative sources are the bundle's, files stay files"
  )
  func mounts() throws {
    var host = FakeHost()
    host.files = [Self.bundle + "/hosts"]
    host.directories = ["/srv/data"]
    let plan = try Self.plan(host: host) { spec in
      spec.mounts = [
        Mount(destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro", "nosuid", "rslave"]),
        Mount(destination: "/etc/hosts", type: "bind", source: "hosts", options: ["bind"]),
        Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["ro", "nodev", "size=1m", "mode=1777"]),
        Mount(destination: "/r", type: "bind", source: "/srv/data", options: ["rbind", "rro", "rnosuid"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"]),
      ]
    }
    let m = plan.mounts
    #expect(m.map(\.destination) == ["/data", "/etc/hosts", "/tmp", "/r", "/sys/fs/cgroup"])
    #expect(m[0].type == nil && m[0].flags == UInt(MS_BIND) | UInt(MS_REC))
    #expect(
      m[0].remountFlags == UInt(MS_RDONLY) | UInt(MS_NOSUID) && m[0].propagation == [UInt(MS_SLAVE) | UInt(MS_REC)])
    #expect(
      !m[0].targetIsFile && m[1].targetIsFile && m[1].source == Self.bundle + "/hosts" && m[1].remountFlags == nil)
    // A read-only tmpfs is mounted writable and made read-only after pivot_root (runc's finalizeRootfs).
    #expect(m[2].flags == UInt(MS_NODEV) && m[2].readonlyAfterSetup && m[2].data == "size=1m,mode=1777")
    #expect(m[3].recursiveAttributes == MountAttribute.readOnly | MountAttribute.noSUID)
    #expect(m[4].isCgroup && !m[3].isCgroup)
    #expect(
      Self.refusal { $0.mounts = [Mount(destination: "/a/../../b", type: "tmpfs", source: "tmpfs")] }?
        .reason.contains("mounts[0].destination") == true)
  }

  @Test("idmapped mounts: bind mounts only, with the mount's mappings or the container's")
  func idmap() throws {
    let plan = try Self.plan { spec in
      spec.linux?.uidMappings = [IDMapping(containerID: 0, hostID: 1000, size: 10)]
      spec.linux?.gidMappings = [IDMapping(containerID: 0, hostID: 2000, size: 10)]
      spec.mounts = [Mount(destination: "/m", type: "bind", source: "/srv", options: ["rbind", "ridmap"])]
    }
    let idmap = try #require(plan.mounts[0].idmap)
    #expect(idmap.uidMap == "0 1000 10\n" && idmap.gidMap == "0 2000 10\n" && idmap.recursive)
    #expect(plan.mounts[0].data == nil)  // idmap/ridmap are hull's, not the file system's
    #expect(
      Self.refusal { $0.mounts = [Mount(destination: "/m", type: "tmpfs", source: "tmpfs", options: ["idmap"])] }?
        .reason.contains("bind mounts only") == true)
  }

  @Test("namespaces: new ones are clone flags; joined ones by path, user first, pid and time in the parent")
  func namespaces() throws {
    let plan = try Self.plan { spec in
      spec.linux?.namespaces = [
        Namespace(type: .pid, path: "/proc/1/ns/pid"), Namespace(type: .network, path: "/run/netns/a"),
        Namespace(type: .user, path: "/proc/1/ns/user"), Namespace(type: .mount), Namespace(type: .uts),
      ]
    }
    #expect(plan.cloneFlags == LinuxNamespace.mount.cloneFlag | LinuxNamespace.uts.cloneFlag)
    #expect(plan.joinInChild.map(\.kind) == [.user, .network] && plan.joinInParent.map(\.path) == ["/proc/1/ns/pid"])
    #expect(plan.newMountNamespace && !plan.newUserNamespace && !plan.sharesMountNamespace)
    #expect(
      Self.refusal { $0.linux?.namespaces.append(Namespace(type: .user)) }?.reason.contains("needs mappings") == true)
    let userns = try Self.plan(rootless: true) { spec in
      spec.linux?.namespaces.append(Namespace(type: .user))
      spec.linux?.uidMappings = [IDMapping(containerID: 0, hostID: 1000, size: 1)]
      spec.linux?.gidMappings = [IDMapping(containerID: 0, hostID: 1000, size: 1)]
      spec.linux?.resources = nil
    }
    #expect(userns.uidMap == "0 1000 1\n" && userns.denySetgroups && !userns.process.setgroupsAllowed)
    #expect(userns.cgroupOptional)  // rootless, no limits: a cgroup is optional
    #expect(
      Self.refusal { $0.linux?.timeOffsets = TimeOffsets(monotonic: TimeOffset(secs: 1)) }?
        .reason.contains("new time namespace") == true)
  }

  @Test("devices: the defaults runtime-linux.md requires, overridden by path; /dev symlinks")
  func devices() throws {
    let plan = try Self.plan { spec in
      spec.linux?.devices = [
        Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o600, uid: 5),
        Device(type: "b", path: "/dev/sda", major: 8, minor: 0),
      ]
    }
    #expect(
      plan.devices.map(\.path) == [
        "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/null", "/dev/sda",
      ])
    #expect(plan.devices[5].mode == 0o600 && plan.devices[5].uid == 5 && plan.devices[6].type == "b")
    #expect(plan.devSymlinks.map(\.link) == ["/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"])
    #expect(
      Self.refusal { $0.linux?.devices = [Device(type: "c", path: "/dev/x", major: 1, minor: 3, fileMode: 0o4666)] }?
        .reason.contains("setuid") == true)
  }

  @Test(
    "resources: every field reaches the cgroup limits; runc's device policy is added; the cgroup path defaults to /hull/<id>"
  )
  func resources() throws {
    let plan = try Self.plan { spec in
      spec.linux?.resources = Resources(
        devices: [DeviceRule(allow: true, type: "c", major: 10, minor: 200, access: "rwm")],
        memory: Memory(limit: 1 << 20, swappiness: 10), cpu: CPU(shares: 512, quota: 5000, period: 10000),
        pids: Pids(limit: 32))
    }
    let l = plan.cgroupLimits
    #expect(
      l.memoryLimit == 1 << 20 && l.memorySwappiness == 10 && l.cpuShares == 512 && l.cpuQuota == 5000
        && l.pidsLimit == 32)
    #expect(l.devices.first == .denyAll && l.devices.contains { $0.allow && $0.major == 10 && $0.minor == 200 })
    // The deny-all that opens every `runc spec` device list repeats runc's own: written once.
    let specDenyAll = DeviceRule(allow: false, access: "rwm")
    let deduplicated = try Self.plan { $0.linux?.resources = Resources(devices: [specDenyAll]) }.cgroupLimits.devices
    #expect(deduplicated == [.denyAll] + CgroupLimits.DeviceRule.defaultAllowed)
    #expect(plan.cgroup?.path == "/hull/unit" && plan.cgroup?.host == FakeHost().cgroupHost)
    #expect(try Self.plan { $0.linux?.cgroupsPath = "/pods/a" }.cgroup?.path == "/pods/a")
    #expect(Self.refusal { $0.linux?.cgroupsPath = "system.slice:hull:a" }?.reason.contains("systemd form") == true)
    #expect(Self.refusal { $0.linux?.cgroupsPath = "/a/../b" }?.reason.contains("\"..\"") == true)
    // kernelTCP: only where the host's v1 memory controller has the file.
    let v1 = FakeHost(cgroupHost: CgroupHost(root: "/fake", mode: .v1))
    let withTCP = try Self.plan(host: v1) { $0.linux?.resources?.memory = Memory(kernelTCP: 1 << 20) }
    #expect(withTCP.cgroupLimits.memoryKernelTCP == nil && withTCP.warnings.contains { $0.contains("kernelTCP") })
    var v1WithFile = v1
    v1WithFile.files = ["/fake/memory/memory.kmem.tcp.limit_in_bytes"]
    #expect(
      try Self.plan(host: v1WithFile) { $0.linux?.resources?.memory = Memory(kernelTCP: 1 << 20) }.cgroupLimits
        .memoryKernelTCP == 1 << 20)
  }

  @Test("seccomp: compiled in the planner; a notifying filter carries the container state for its agent")
  func seccomp() throws {
    let plain = try Self.plan {
      $0.linux?.seccomp = Seccomp(
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO")])
    }
    #expect(plain.process.seccomp.map { !$0.usesNotify && $0.instructionCount > 0 } == true)
    #expect(plain.process.listenerState == nil)
    let notify = try Self.plan { spec in
      spec.linux?.seccomp = Seccomp(
        defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock", listenerMetadata: "m",
        syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_NOTIFY")])
    }
    #expect(notify.process.seccomp?.usesNotify == true && notify.process.seccompListenerPath == "/run/agent.sock")
    let state = try #require(notify.process.listenerState)
    #expect(state.id == "unit" && state.status == .creating && state.bundle == Self.bundle)
    #expect(notify.process.seccompListenerMetadata == "m")
  }

  @Test("hooks are carried as given; create hooks make the init stop for them")
  func hooks() throws {
    let none = try Self.plan()
    #expect(!none.hasCreateHooks)
    let plan = try Self.plan {
      $0.hooks = Hooks(prestart: [Hook(path: "/bin/a")], poststart: [Hook(path: "/bin/b", args: ["b", "1"])])
    }
    #expect(plan.hasCreateHooks && plan.hooks.poststart.first?.args == ["b", "1"])
    #expect(try Self.plan { $0.hooks = Hooks(poststop: [Hook(path: "/bin/c")]) }.hasCreateHooks == false)
  }

  @Test("sysctl in order; keys outside the container's namespaces are refused; hostname and domainname")
  func sysctlAndNames() throws {
    let plan = try Self.plan { spec in
      spec.linux?.sysctl = [("net.ipv4.ip_forward", "1"), ("kernel.shmmax", "1000")]
      spec.hostname = "h"
      spec.domainname = "d"
    }
    #expect(plan.sysctl.map(\.key) == ["net.ipv4.ip_forward", "kernel.shmmax"])
    #expect(plan.hostname == "h" && plan.domainname == "d")
    #expect(Self.refusal { $0.linux?.sysctl = [("vm.swappiness", "1")] } != nil)
  }

  @Test("masked and read-only paths are carried; without a mount namespace of the container's own they are refused")
  func maskedAndReadonly() throws {
    let plan = try Self.plan { spec in
      spec.linux?.maskedPaths = ["/proc/kcore"]
      spec.linux?.readonlyPaths = ["/proc/sys"]
    }
    #expect(plan.maskedPaths == ["/proc/kcore"] && plan.readonlyPaths == ["/proc/sys"] && plan.rootReadonly)
    let shared = Self.refusal { $0.linux?.namespaces.removeAll { $0.type == .mount } }
    #expect(shared?.reason.contains("linux.maskedPaths") == true && shared?.reason.contains("root.readonly") == true)
  }

  @Test(
    "rootfs: absolute against the bundle; propagation parsed (rslave by default), applied again after pivot_root when set"
  )
  func rootfs() throws {
    let plan = try Self.plan(noPivot: true, noNewKeyring: true)
    #expect(plan.rootfs == Self.bundle + "/rootfs" && plan.noPivot && plan.noNewKeyring)
    #expect(plan.rootfsPropagation == UInt(MS_SLAVE) | UInt(MS_REC) && plan.applyRootPropagationAfterPivot == nil)
    let shared = try Self.plan { $0.linux?.rootfsPropagation = "shared" }
    #expect(shared.rootfsPropagation == UInt(MS_SHARED) && shared.applyRootPropagationAfterPivot == UInt(MS_SHARED))
    #expect(Self.refusal { $0.linux?.rootfsPropagation = "sideways" }?.reason.contains("rootfsPropagation") == true)
    #expect(try Self.plan { $0.root = Root(path: "/abs/root") }.rootfs == "/abs/root")
  }

  @Test("console: a terminal needs a console socket (or run's own); consoleSize is kept")
  func console() throws {
    #expect(Self.refusal { $0.process?.terminal = true }?.reason.contains("--console-socket") == true)
    let plan = try Self.plan(consoleSocket: "/run/console.sock") { spec in
      spec.process?.terminal = true
      spec.process?.consoleSize = ConsoleSize(height: 24, width: 80)
    }
    #expect(plan.process.terminal && plan.process.consoleSize.map { $0.rows == 24 && $0.cols == 80 } == true)
  }

  @Test("LSMs: a profile or label the host cannot apply is refused; an AppArmor profile is kept where AppArmor runs")
  func lsm() throws {
    #expect(Self.refusal { $0.process?.apparmorProfile = "p" }?.reason.contains("AppArmor is not enabled") == true)
    #expect(Self.refusal { $0.process?.selinuxLabel = "l" }?.reason.contains("SELinux") == true)
    #expect(Self.refusal { $0.linux?.mountLabel = "l" }?.reason.contains("mountLabel") == true)
    var host = FakeHost()
    host.apparmorEnabled = true
    #expect(try Self.plan(host: host) { $0.process?.apparmorProfile = "p" }.process.attributes.apparmorProfile == "p")
    #expect(Self.refusal { $0.linux?.intelRdt = IntelRdt() }?.errno == ENOTSUP)
  }

  @Test("process attributes: personality, scheduler, I/O priority, CPU affinity and memory policy become numbers")
  func attributes() throws {
    let plan = try Self.plan { spec in
      spec.linux?.personality = Personality(domain: "LINUX32")
      spec.process?.scheduler = Scheduler(policy: "SCHED_BATCH", nice: 5, flags: ["SCHED_FLAG_RESET_ON_FORK"])
      spec.process?.ioPriority = IOPriority(class: "IOPRIO_CLASS_IDLE", priority: 7)
      spec.process?.execCPUAffinity = ExecCPUAffinity(initial: "0-2", final: "1,3")
      spec.linux?.memoryPolicy = MemoryPolicy(mode: "MPOL_BIND", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"])
    }
    let a = plan.process.attributes
    #expect(a.personality == 8 && a.scheduler.map { $0.policy == 3 && $0.nice == 5 && $0.flags == 1 } == true)
    #expect(a.ioPriority.map { $0.ioClass == 3 && $0.level == 7 } == true)
    #expect(a.initialAffinity == [0, 1, 2] && a.finalAffinity == [1, 3])
    #expect(a.memoryPolicy.map { $0.mode == 2 | (1 << 15) && $0.nodemask == [0b11] } == true)
    #expect(
      Self.refusal { $0.process?.scheduler = Scheduler(policy: "SCHED_NOPE") }?.reason.contains("scheduler.policy")
        == true)
  }
}
