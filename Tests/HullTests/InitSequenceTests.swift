// The container init's sequence of kernel calls, run against a recording fake (no root, no
// container): mount order, targets inside the rootfs, masked and read-only paths, the seccomp
// listener hand-off, the identity switch around the filter, devices, the exec'd process.
import Glibc
import LinuxKit
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("init sequence (fake kernel)") struct InitSequenceTests {
  /// MS_* propagation-only changes (no target is mounted on, only its propagation changes).
  static let propagationFlags = UInt(MS_PRIVATE) | UInt(MS_SLAVE) | UInt(MS_SHARED) | UInt(MS_UNBINDABLE) | UInt(MS_REC)

  static func flags(_ call: RecordingSyscalls.Call) -> UInt { UInt(call.args[3].dropFirst(2), radix: 16) ?? 0 }

  /// The mounts before pivot_root.
  static func mountsBeforePivot(_ kernel: RecordingSyscalls) -> [RecordingSyscalls.Call] {
    let pivot = kernel.index(of: "pivot_root") ?? kernel.calls.count
    return kernel.calls[..<pivot].filter { $0.name == "mount" || $0.name == "move_mount" }
  }

  @Test("the config's mounts are made in order, each on an fd inside the rootfs, all before pivot_root")
  func mountOrder() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec())
    let kernel = try fixture.runInit(plan)
    let targets = Self.mountsBeforePivot(kernel).map { $0.args[1] }.filter { $0.hasPrefix(fixture.rootfs + "/") }
    let expected = ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"].map {
      fixture.rootfs + $0
    }
    #expect(targets == expected)
    // The rootfs is made a mount point of its own (pivot_root needs one) before anything is mounted in it.
    let selfBind = try #require(kernel.index(of: "mount", with: fixture.rootfs))
    #expect(kernel.calls[selfBind].args[0] == fixture.rootfs)
    #expect(selfBind < (kernel.calls.firstIndex { $0.name == "mount" && $0.args[1] == fixture.rootfs + "/proc" } ?? -1))
    // "/" turns rslave first: nothing mounted from here on propagates to the host.
    let first = try #require(kernel.calls("mount").first)
    #expect(first.args[1] == "/" && Self.flags(first) == UInt(MS_SLAVE) | UInt(MS_REC))
  }

  @Test("no mount before pivot_root lands outside the rootfs, even through the image's symlinks")
  func noHostTarget() throws {
    let fixture = InitFixture()
    fixture.symlink("/escape", to: "/")
    fixture.symlink("/up", to: "../../../../../../..")
    fixture.makeDirectory("/data")
    let plan = try fixture.plan(
      try fixture.spec { spec in
        spec.mounts += [
          Mount(destination: "/escape/etc/hull-unit", type: "tmpfs", source: "tmpfs"),
          Mount(destination: "/up/tmp/hull-unit", type: "tmpfs", source: "tmpfs"),
          Mount(destination: "/escape/bound", type: "bind", source: fixture.bundle, options: ["rbind", "ro"]),
        ]
      })
    let kernel = try fixture.runInit(plan)
    let mounts = Self.mountsBeforePivot(kernel)
    #expect(mounts.count > 8)
    for call in mounts where call.name == "mount" && Self.flags(call) & ~Self.propagationFlags != 0 {
      let target = call.args[1]
      #expect(target == fixture.rootfs || target.hasPrefix(fixture.rootfs + "/"), "\(call)")
    }
    // The links were followed inside the rootfs: the targets were made there, not on the host.
    #expect(kernel.calls("mount").contains { $0.args[1] == fixture.rootfs + "/etc/hull-unit" })
    #expect(kernel.calls("mount").contains { $0.args[1] == fixture.rootfs + "/tmp/hull-unit" })
    #expect(access("/etc/hull-unit", F_OK) != 0)
    // The bind's ro goes in a remount of the same target.
    let remount = kernel.calls("mount").first {
      Self.flags($0) & UInt(MS_REMOUNT) != 0 && $0.args[1] == fixture.rootfs + "/bound"
    }
    #expect(remount.map { Self.flags($0) & UInt(MS_RDONLY) != 0 } == true)
  }

  @Test(
    "masked paths after pivot_root: a read-only tmpfs on a directory, /dev/null on a file, nothing on a missing path")
  func maskedPaths() throws {
    let fixture = InitFixture()
    fixture.makeDirectory("/proc/acpi")
    fixture.write("/proc/kcore", "")
    let plan = try fixture.plan(
      try fixture.spec { $0.linux?.maskedPaths = ["/proc/acpi", "/proc/kcore", "/proc/keys"] })
    let kernel = try fixture.runInit(plan)
    let pivot = try #require(kernel.index(of: "pivot_root"))
    let mounted = kernel.calls("mount").filter { $0.result == 0 }
    let acpi = try #require(kernel.calls.firstIndex { $0.name == "mount" && $0.args[1] == "/proc/acpi" })
    #expect(acpi > pivot)
    // As runc: /dev/null is tried first; the kernel refuses it over a directory (ENOTDIR).
    #expect(
      mounted.filter { $0.args[1] == "/proc/acpi" }.map { "\($0.args[2]) \(Self.flags($0))" }
        == ["tmpfs \(UInt(MS_RDONLY))"])
    let kcore = mounted.filter { $0.args[1] == "/proc/kcore" }
    #expect(kcore.map { "\($0.args[0]) \(Self.flags($0))" } == ["/dev/null \(UInt(MS_BIND))"])
    #expect(!mounted.contains { $0.args[1] == "/proc/keys" })
  }

  @Test(
    "read-only paths are bound onto themselves then remounted read-only; missing ones are skipped; root.readonly last")
  func readonlyPaths() throws {
    let fixture = InitFixture()
    fixture.makeDirectory("/proc/sys")
    let plan = try fixture.plan(try fixture.spec { $0.linux?.readonlyPaths = ["/proc/sys", "/proc/bus"] })
    let kernel = try fixture.runInit(plan)
    let sys = kernel.calls("mount").filter { $0.args[1] == "/proc/sys" && $0.result == 0 }
    #expect(sys.count == 2)
    #expect(sys.first.map { $0.args[0] == "/proc/sys" && Self.flags($0) == UInt(MS_BIND) | UInt(MS_REC) } == true)
    #expect(
      sys.last.map {
        Self.flags($0) & (UInt(MS_REMOUNT) | UInt(MS_RDONLY) | UInt(MS_BIND)) == UInt(MS_REMOUNT) | UInt(MS_RDONLY)
          | UInt(MS_BIND)
      } == true)
    #expect(!kernel.calls("mount").contains { $0.args[1] == "/proc/bus" && $0.result == 0 })
    // root.readonly (the default config's): "/" read-only after every other mount.
    let lastMount = try #require(kernel.calls("mount").last)
    #expect(lastMount.args[1] == "/" && Self.flags(lastMount) & UInt(MS_RDONLY) != 0)
  }

  @Test("hostname and sysctls after pivot_root, before read-only paths make /proc/sys read-only")
  func hostnameAndSysctl() throws {
    let fixture = InitFixture()
    fixture.makeDirectory("/proc/sys")
    let plan = try fixture.plan(try fixture.spec { $0.linux?.sysctl = [("net.ipv4.ip_forward", "1")] })
    let kernel = try fixture.runInit(plan)
    let pivot = try #require(kernel.index(of: "pivot_root"))
    let hostname = try #require(kernel.index(of: "sethostname", with: "hull"))
    let sysctl = try #require(kernel.index(of: "write_file", with: "/proc/sys/net/ipv4/ip_forward"))
    let readonly = try #require(kernel.calls.firstIndex { $0.name == "mount" && $0.args[1] == "/proc/sys" })
    #expect(pivot < hostname && hostname < sysctl && sysctl < readonly)
  }

  @Test("devices: mknod of the default nodes with their numbers; in a user namespace, binds of the host's nodes")
  func devices() throws {
    let fixture = InitFixture()
    let kernel = try fixture.runInit(try fixture.plan(try fixture.spec()))
    let null = try #require(kernel.calls("mknodat").first { $0.args[0] == fixture.rootfs + "/dev/null" })
    #expect(null.args[1] == String(S_IFCHR | 0o666, radix: 8) && null.args[2] == "0x103")
    #expect(kernel.calls("mknodat").count == 6)

    let userns = try fixture.plan(
      try fixture.spec { spec in
        spec.linux?.namespaces.append(Namespace(type: .user))
        spec.linux?.uidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
        spec.linux?.gidMappings = [IDMapping(containerID: 0, hostID: 100000, size: 65536)]
      })
    let inUserns = try fixture.runInit(userns)
    #expect(inUserns.calls("mknodat").isEmpty)
    let bound = inUserns.calls("mount").filter {
      $0.args[0].hasPrefix("/dev/") && $0.args[1].hasPrefix(fixture.rootfs + "/dev/")
    }
    #expect(
      bound.map { $0.args[0] } == ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
    // In a new user namespace the init becomes its root before anything else.
    #expect(inUserns.calls.prefix(2).map(\.name) == ["setresgid", "setresuid"])
  }

  @Test("capabilities: the bounding set is dropped to the config's, the sets are set after the user switch")
  func capabilities() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { $0.process?.user = User(uid: 1000, gid: 1000, additionalGids: [5]) })
    let kernel = try fixture.runInit(plan)
    let caps = try #require(plan.process.capabilities)
    let dropped = kernel.calls("prctl").filter { $0.args[0] == String(PR_CAPBSET_DROP) }.compactMap {
      Int32($0.args[1])
    }
    #expect(dropped == Array(0...40).filter { !caps.bounding.contains($0) })
    let lastDrop = try #require(kernel.calls.lastIndex { $0.name == "prctl" && $0.args[0] == String(PR_CAPBSET_DROP) })
    let setgroups = try #require(kernel.index(of: "setgroups", with: "5"))
    let setuid = try #require(kernel.index(of: "setresuid", with: "1000"))
    let capset = try #require(kernel.index(of: "capset"))
    #expect(lastDrop < setgroups && setgroups < setuid && setuid < capset)
    let mask = "0x" + String(caps.effective.reduce(UInt64(0)) { $0 | 1 << UInt64($1) }, radix: 16)
    #expect(kernel.calls[capset].args[0] == mask)
    #expect(kernel.calls.last?.name == "execve")
  }
  @Test("keep-caps is set around a switch away from uid 0 and not at all for a process that stays root")
  func keepCapsOnlyWhenLeavingRoot() throws {
    let fixture = InitFixture()
    for uid: UInt32 in [0, 1000] {
      let plan = try fixture.plan(try fixture.spec { $0.process?.user = User(uid: uid, gid: uid) })
      let kernel = try fixture.runInit(plan)
      let keepCaps = kernel.calls("prctl").filter { $0.args[0] == String(PR_SET_KEEPCAPS) }.map { $0.args[1] }
      #expect(keepCaps == (uid == 0 ? [] : ["1", "0"]), "uid \(uid)")
      // Either way the identity switch itself happens, and the sets come after it.
      let setuid = try #require(kernel.index(of: "setresuid", with: String(uid)))
      #expect(setuid < (kernel.index(of: "capset") ?? -1))
    }
  }

  @Test("ambient capabilities are raised only when permitted and inheritable hold them (the kernel refuses the rest)")
  func ambientOnlyWhenAllowed() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(
      try fixture.spec {
        $0.process?.capabilities = Capabilities(
          bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL", "CAP_CHOWN"],
          inheritable: ["CAP_KILL"], permitted: ["CAP_KILL", "CAP_CHOWN"], ambient: ["CAP_KILL", "CAP_CHOWN"])
      })
    let kernel = try fixture.runInit(plan)
    let raised = kernel.calls("prctl").filter { $0.args[0] == String(PR_CAP_AMBIENT) }.map { $0.args[2] }
    #expect(raised == ["5"])  // CAP_KILL; CAP_CHOWN (0) is not inheritable: not tried
  }
}
