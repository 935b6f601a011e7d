import Testing

@testable import OCISpec

@Suite struct SpecMappingTests {
  @Test func fullConfigMapsEveryField() throws {
    let s = try Spec.parse(Array(fullConfig.utf8))
    #expect(s.ociVersion == "1.3.0")
    #expect(s.hostname == "box")
    #expect(s.domainname == "example.org")
    #expect(s.root == Root(path: "/var/lib/rootfs", readonly: true))
    #expect(s.annotations.map(\.key) == ["z.last", "a.first", "org.example/key"])
    #expect(s.annotation("a.first") == "2")
    #expect(s.warnings.contains { $0.hasPrefix("linux.resources.memory.kernel") })

    let p = try #require(s.process)
    #expect(p.terminal)
    #expect(p.consoleSize == ConsoleSize(height: 40, width: 120))
    #expect(p.user == User(uid: 1000, gid: 1001, umask: 18, additionalGids: [5, 6, 2_147_483_647], username: "win"))
    #expect(p.args == ["/bin/app", "--flag", "é😀"])
    #expect(p.commandLine == "app.exe --flag")
    #expect(p.env == ["PATH=/usr/bin", "HOME=/root"])
    #expect(p.cwd == "/work")
    #expect(
      p.capabilities
        == Capabilities(
          bounding: ["CAP_CHOWN", "CAP_KILL"], effective: ["CAP_KILL"],
          inheritable: ["CAP_NET_RAW"], permitted: ["CAP_KILL", "CAP_SYS_ADMIN"],
          ambient: ["CAP_BPF"]))
    #expect(
      p.rlimits == [
        Rlimit(type: "RLIMIT_NOFILE", hard: 4096, soft: 1024),
        Rlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: UInt64.max),
      ])
    #expect(p.noNewPrivileges)
    #expect(p.apparmorProfile == "docker-default")
    #expect(p.oomScoreAdj == -500)
    #expect(p.selinuxLabel == "system_u:system_r:container_t:s0")
    #expect(p.ioPriority == IOPriority(class: "IOPRIO_CLASS_BE", priority: 4))
    #expect(
      p.scheduler
        == Scheduler(
          policy: "SCHED_DEADLINE", nice: -5, priority: 7, flags: ["SCHED_FLAG_RESET_ON_FORK"],
          runtime: 1_000_000, deadline: 2_000_000, period: 3_000_000))
    #expect(p.execCPUAffinity == ExecCPUAffinity(initial: "0-1", final: "2-3,7"))

    #expect(s.mounts.count == 2)
    #expect(s.mounts[0] == Mount(destination: "/proc", type: "proc", source: "proc"))
    #expect(
      s.mounts[1]
        == Mount(
          destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro", "idmap"],
          uidMappings: [IDMapping(containerID: 0, hostID: 100_000, size: 65536)],
          gidMappings: [IDMapping(containerID: 0, hostID: 200_000, size: 65536)]))

    let h = try #require(s.hooks)
    #expect(h.prestart == [Hook(path: "/usr/bin/pre", args: ["pre", "a"], env: ["X=1"], timeout: 5)])
    #expect(h.createRuntime.map(\.path) == ["/usr/bin/cr"])
    #expect(h.createContainer.map(\.path) == ["/usr/bin/cc"])
    #expect(h.startContainer.map(\.path) == ["/usr/bin/sc"])
    #expect(h.poststart.map(\.path) == ["/usr/bin/ps1", "/usr/bin/ps2"])
    #expect(h.poststop == [Hook(path: "/usr/bin/stop", timeout: 30)])
  }

  @Test func fullConfigLinux() throws {
    let l = try #require(try Spec.parse(Array(fullConfig.utf8)).linux)
    #expect(l.namespaces.map(\.type) == [.pid, .network, .mount, .ipc, .uts, .user, .cgroup, .time])
    #expect(l.namespace(.network)?.path == "/var/run/netns/x")
    #expect(l.namespace(.pid)?.path == nil)
    #expect(l.uidMappings == [IDMapping(containerID: 0, hostID: 100_000, size: 65536)])
    #expect(l.gidMappings.count == 2)
    #expect(l.gidMappings[1] == IDMapping(containerID: 1000, hostID: 1000, size: 1))
    #expect(
      l.timeOffsets == TimeOffsets(monotonic: TimeOffset(secs: -3600, nanosecs: 500), boottime: TimeOffset(secs: 86400))
    )
    #expect(
      l.devices == [
        Device(type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0),
        Device(type: "p", path: "/dev/myfifo"),
      ])
    #expect(l.netDevices.map(\.key) == ["eth1", "ib0"])
    #expect(l.netDevices[0].value == NetDevice(name: "net0"))
    #expect(l.netDevices[1].value == NetDevice(name: nil))
    #expect(l.cgroupsPath == "/hull/box")
    #expect(l.rootfsPropagation == "rslave")
    #expect(l.sysctl.map(\.key) == ["net.ipv4.ip_forward", "kernel.shm_rmid_forced"])
    #expect(l.sysctl.map(\.value) == ["1", "1"])
    #expect(l.maskedPaths == ["/proc/kcore"])
    #expect(l.readonlyPaths == ["/proc/sys"])
    #expect(l.mountLabel == "system_u:object_r:container_file_t:s0")
    #expect(
      l.intelRdt
        == IntelRdt(
          closID: "guaranteed", schemata: "L3:0=ff", l3CacheSchema: "L3:0=f", memBwSchema: "MB:0=50",
          enableCMT: true, enableMBM: false, enableMonitoring: true))
    #expect(l.personality == Personality(domain: "LINUX32"))
    #expect(l.memoryPolicy == MemoryPolicy(mode: "MPOL_INTERLEAVE", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"]))

    let sc = try #require(l.seccomp)
    #expect(sc.defaultAction == "SCMP_ACT_ERRNO")
    #expect(sc.defaultErrnoRet == 38)
    #expect(sc.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
    #expect(sc.flags == ["SECCOMP_FILTER_FLAG_LOG"])
    #expect(sc.listenerPath == "/run/seccomp.sock")
    #expect(sc.listenerMetadata == "meta")
    #expect(sc.syscalls.count == 3)
    #expect(sc.syscalls[0] == Syscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW"))
    #expect(sc.syscalls[1].args == [SyscallArg(index: 0, value: 4_294_967_295, valueTwo: 0, op: "SCMP_CMP_EQ")])
    #expect(
      sc.syscalls[2]
        == Syscall(
          names: ["ioctl"], action: "SCMP_ACT_NOTIFY", errnoRet: 1,
          args: [SyscallArg(index: 1, value: UInt64.max, valueTwo: 255, op: "SCMP_CMP_MASKED_EQ")]))
  }

  @Test func fullConfigResources() throws {
    let r = try #require(try Spec.parse(Array(fullConfig.utf8)).linux?.resources)
    #expect(
      r.devices == [
        DeviceRule(allow: false, access: "rwm"),
        DeviceRule(allow: true, type: "c", major: 10, minor: 229, access: "rw"),
      ])
    #expect(
      r.memory
        == Memory(
          limit: 536_870_912, reservation: 268_435_456, swap: -1, kernel: 0, kernelTCP: 1_048_576,
          swappiness: 60, disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true))
    #expect(
      r.cpu
        == CPU(
          shares: 1024, quota: 50000, burst: 10000, period: 100_000, realtimeRuntime: 950_000,
          realtimePeriod: 1_000_000, cpus: "0-3", mems: "0", idle: 0))
    #expect(r.pids == Pids(limit: 64))
    #expect(
      r.blockIO
        == BlockIO(
          weight: 500, leafWeight: 300, weightDevice: [WeightDevice(major: 8, minor: 0, weight: 700, leafWeight: 100)],
          throttleReadBpsDevice: [ThrottleDevice(major: 8, minor: 0, rate: 1_048_576)],
          throttleWriteBpsDevice: [ThrottleDevice(major: 8, minor: 16, rate: 2_097_152)],
          throttleReadIOPSDevice: [ThrottleDevice(major: 8, minor: 32, rate: 100)],
          throttleWriteIOPSDevice: [ThrottleDevice(major: 8, minor: 48, rate: 200)]))
    #expect(r.hugepageLimits == [HugepageLimit(pageSize: "2MB", limit: 209_715_200)])
    #expect(r.network == Network(classID: 1_048_577, priorities: [InterfacePriority(name: "eth0", priority: 500)]))
    #expect(r.rdma.map(\.key) == ["mlx5_1", "mlx4_0"])
    #expect(r.rdma[0].value == Rdma(hcaHandles: 3, hcaObjects: 10000))
    #expect(r.rdma[1].value == Rdma(hcaHandles: 2))
    #expect(r.unified.map(\.key) == ["memory.high", "io.weight"])
    #expect(r.unified[1].value == "default 100")
  }

  @Test func absentDiffersFromZero() throws {
    // `update` relies on this: docker sends zeros it means as "unset", others omit.
    let r = try Resources.parse(Array(#"{"memory": {"limit": 0}, "cpu": {"cpus": ""}, "pids": {}}"#.utf8))
    #expect(r.memory?.limit == 0)
    #expect(r.memory?.swap == nil)
    #expect(r.cpu?.cpus == "")
    #expect(r.cpu?.shares == nil)
    #expect(r.pids == Pids(limit: nil))
    #expect(r.blockIO == nil)
    let empty = try Resources.parse(Array("{}".utf8))
    #expect(empty.memory == nil && empty.cpu == nil && empty.devices.isEmpty && empty.unified.isEmpty)
  }

  @Test func resourcesDocumentErrorsUseRelativePaths() {
    func err(_ text: String) -> SpecError? {
      do {
        _ = try Resources.parse(Array(text.utf8))
        return nil
      } catch { return error }
    }
    #expect(err(#"{"memory": {"limit": "1g"}}"#)?.description == "memory.limit: expected an integer, got a string")
    #expect(err(#"{"unified": {"cgroup.procs": "1"}}"#)?.path == "unified.cgroup.procs")
    #expect(err(#"{"memory": "#)?.reason.hasPrefix("invalid JSON: line 1, column 12:") == true)
  }

  @Test func processDocument() throws {
    let p = try Process.parse(Array(#"{"args": ["/bin/sh"], "cwd": "/tmp", "env": ["A=1"], "user": {"uid": 5}}"#.utf8))
    #expect(p.args == ["/bin/sh"])
    #expect(p.user.uid == 5)
    #expect(p.user.gid == 0)
    #expect(!p.terminal)
    do {
      _ = try Process.parse(Array(#"{"args": [], "cwd": "/"}"#.utf8))
      Issue.record("empty args accepted")
    } catch {
      #expect(error.path == "args")
    }
    do {
      _ = try Process.parse(
        Array(#"{"args": ["x"], "cwd": "/", "rlimits": [{"type": "RLIMIT_X", "hard": 1, "soft": 1}]}"#.utf8))
      Issue.record("bad rlimit accepted")
    } catch {
      #expect(
        error.description == "rlimits[0].type: unknown rlimit \"RLIMIT_X\" (expected RLIMIT_AS, RLIMIT_NOFILE, ...)")
    }
  }

  @Test func defaultSpecMapsLikeRuncSpec() throws {
    let s = try Spec.parse(Array(DefaultSpec.json(rootless: false).utf8))
    #expect(s.ociVersion == supportedOCIVersionMax)
    #expect(s.warnings.isEmpty)
    let p = try #require(s.process)
    #expect(p.terminal)
    #expect(p.args == ["sh"])
    #expect(p.cwd == "/")
    #expect(p.noNewPrivileges)
    #expect(p.user == User(uid: 0, gid: 0))
    #expect(p.rlimits == [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)])
    let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    #expect(p.capabilities == Capabilities(bounding: caps, effective: caps, permitted: caps, ambient: caps))
    #expect(s.root == Root(path: "rootfs", readonly: true))
    #expect(
      s.mounts.map(\.destination) == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
    #expect(s.mounts[2].options.contains("gid=5"))
    #expect(s.mounts[5].type == "sysfs")
    let l = try #require(s.linux)
    #expect(l.namespaces.map(\.type) == [.pid, .network, .ipc, .uts, .mount, .cgroup])
    #expect(l.resources?.devices == [DeviceRule(allow: false, access: "rwm")])
    #expect(l.maskedPaths.contains("/proc/kcore"))
    #expect(l.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
    #expect(l.uidMappings.isEmpty)
    // runc spec's formatting: tab indentation.
    #expect(DefaultSpec.json(rootless: false).hasPrefix("{\n\t\"ociVersion\": \"1.3.0\",\n\t\"process\": {"))
  }

  @Test func rootlessDefaultSpec() throws {
    let s = try Spec.parse(Array(DefaultSpec.json(rootless: true, uid: 1000, gid: 1001).utf8))
    let l = try #require(s.linux)
    #expect(l.namespaces.map(\.type) == [.pid, .ipc, .uts, .mount, .cgroup, .user])
    #expect(l.uidMappings == [IDMapping(containerID: 0, hostID: 1000, size: 1)])
    #expect(l.gidMappings == [IDMapping(containerID: 0, hostID: 1001, size: 1)])
    #expect(l.resources == nil)
    let sys = try #require(s.mounts.first { $0.destination == "/sys" })
    #expect(
      sys
        == Mount(
          destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
    #expect(!s.mounts.contains { m in m.options.contains { $0.hasPrefix("gid=") || $0.hasPrefix("uid=") } })
  }

  @Test func busyboxBundleConfig() throws {
    let bytes = try #require(repoFile("bundles/busybox/config.json"))
    let s = try Spec.parse(bytes)
    #expect(s.ociVersion == "1.0.2")
    #expect(s.hostname == "busybox")
    #expect(s.process?.args.first == "/bin/sh")
    #expect(s.process?.terminal == false)
    #expect(s.mounts.count == 7)
    #expect(s.linux?.namespaces.count == 5)
    #expect(s.linux?.maskedPaths.count == 10)
  }

  @Test func unknownFieldsAreIgnoredAndNullIsAbsent() throws {
    let v = setting(
      baseSpec,
      [
        ("process.futureKnob", .array([.int(1)])), ("linux.resources.memory.newThing", .bool(true)),
        ("root.extra", .string("x")), ("hostname", .null), ("linux.seccomp", .null),
      ])
    let s = try Spec.parse(Array(JSON.serialize(v).utf8))
    #expect(s.hostname == nil)
    #expect(s.linux?.seccomp == nil)
    #expect(s.linux?.resources?.memory == Memory())
  }

  @Test func capabilityWarnings() throws {
    let v = setting(
      baseSpec, "process.capabilities.bounding", .array([.string("CAP_KILL"), .string("CAP_FUTURE_THING")]))
    let s = try Spec.parse(Array(JSON.serialize(v).utf8))
    #expect(s.warnings == ["process.capabilities.bounding[1]: unknown capability \"CAP_FUTURE_THING\" is ignored"])
  }

  @Test func relativeMountDestinationWarns() throws {
    let v = setting(baseSpec, "mounts[0].destination", .string("proc"))
    let s = try Spec.parse(Array(JSON.serialize(v).utf8))
    #expect(s.warnings.count == 1)
    #expect(s.warnings.first?.hasPrefix("mounts[0].destination:") == true)
  }

  @Test func mapOnlyDoesNotValidate() throws {
    let v = setting(baseSpec, "ociVersion", .string("9.9.9"))
    let s = try Spec(json: v)
    #expect(s.ociVersion == "9.9.9")
    #expect(throws: SpecError.self) { try s.validate() }
  }

  @Test func constants() {
    #expect(knownCapabilities.count == 41)
    #expect(knownCapabilities.first == "CAP_CHOWN")
    #expect(knownCapabilities[21] == "CAP_SYS_ADMIN")
    #expect(knownCapabilities.last == "CAP_CHECKPOINT_RESTORE")
    #expect(knownRlimits.count == 16)
    #expect(knownRlimits["RLIMIT_NOFILE"] == 7)
    #expect(knownRlimits["RLIMIT_AS"] == 9)
    #expect(knownRlimits["RLIMIT_RTTIME"] == 15)
  }
}
