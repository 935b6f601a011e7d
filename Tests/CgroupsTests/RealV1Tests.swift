import Glibc
import LinuxKit
import Testing

// The drivers on this machine's real cgroups (v1 hierarchies + an empty unified one),
// under a prefix of our own that every test removes. Skipped when not root or not v1.
@testable import Cgroups

enum RealHost {
  static let host = CgroupHost.current()
  static let usable = getuid() == 0 && host.mode != .unified && host.hierarchy(for: "memory") != nil
  static let skipReason: Comment = "needs root on a cgroup v1 or hybrid host"
  static let prefix = "/cgroupstests-\(getpid())"

  /// A cgroup under our prefix; removes everything it created, prefix included.
  static func withCgroup(_ name: String, _ body: (CgroupSet) throws -> Void) throws {
    let set = CgroupSet(host: host, path: prefix + "/" + name)
    let created = try set.create()
    defer {
      for pid in set.pids() { kill(pid, SIGKILL) }
      try? set.setFrozen(false)
      CgroupSet.remove(created)
    }
    try body(set)
  }

  static func value(_ set: CgroupSet, _ controller: String, _ file: String) -> String {
    let text = Files.readIfPresent(set.directory(controller: controller)! + "/" + file) ?? "<missing>"
    return text.split(separator: "\n").first.map(String.init) ?? ""
  }

  static func spawn(_ argv: [String]) throws -> Child { try Child(argv) }
}

@Suite(.serialized, .enabled(if: RealHost.usable, RealHost.skipReason))
struct RealV1Tests {
  @Test func createApplyReadBackRemove() throws {
    var dirs: [String] = []
    try RealHost.withCgroup("limits") { set in
      dirs = set.directories
      #expect(dirs.allSatisfy { Files.isDirectory($0) })
      var l = CgroupLimits()
      l.memoryLimit = 64 << 20
      l.memorySwap = 96 << 20
      l.memoryReservation = 32 << 20
      l.memorySwappiness = 20
      l.pidsLimit = 33
      l.cpuShares = 256
      l.cpuQuota = 25000
      l.cpuPeriod = 50000
      l.cpusetCpus = "0"
      l.cpusetMems = "0"
      l.devices = [
        .init(allow: false, type: "a", major: nil, minor: nil, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
      ]
      if set.host.hierarchy(for: "hugetlb") != nil { l.hugepageLimits = [.init(pageSize: "2MB", limit: 2 << 20)] }
      try set.apply(l)
      #expect(RealHost.value(set, "memory", "memory.limit_in_bytes") == "67108864")
      #expect(RealHost.value(set, "memory", "memory.memsw.limit_in_bytes") == "100663296")
      #expect(RealHost.value(set, "memory", "memory.soft_limit_in_bytes") == "33554432")
      #expect(RealHost.value(set, "memory", "memory.swappiness") == "20")
      #expect(RealHost.value(set, "pids", "pids.max") == "33")
      #expect(RealHost.value(set, "cpu", "cpu.shares") == "256")
      #expect(RealHost.value(set, "cpu", "cpu.cfs_quota_us") == "25000")
      #expect(RealHost.value(set, "cpu", "cpu.cfs_period_us") == "50000")
      #expect(RealHost.value(set, "cpuset", "cpuset.cpus") == "0")
      #expect(RealHost.value(set, "devices", "devices.list") == "c 1:3 rwm")
      if !l.hugepageLimits.isEmpty {
        #expect(RealHost.value(set, "hugetlb", "hugetlb.2MB.limit_in_bytes") == "2097152")
      }

      // Raising both limits needs memsw first; lowering both needs the limit first.
      var up = CgroupLimits()
      up.memoryLimit = 256 << 20
      up.memorySwap = 256 << 20
      try set.update(up)
      #expect(RealHost.value(set, "memory", "memory.limit_in_bytes") == "268435456")
      var down = CgroupLimits()
      down.memoryLimit = 16 << 20
      down.memorySwap = 16 << 20
      try set.update(down)
      #expect(RealHost.value(set, "memory", "memory.memsw.limit_in_bytes") == "16777216")
      // A limit above memory+swap is refused with the reason spelled out.
      var only = CgroupLimits()
      only.memoryLimit = 32 << 20
      #expect(errorText { try set.update(only) }.contains("memory+swap"))
    }
    #expect(dirs.allSatisfy { !Files.exists($0) })
  }

  @Test func hostCannotHonourNamesFieldAndFile() throws {
    try RealHost.withCgroup("refusals") { set in
      var l = CgroupLimits()
      l.networkClassID = 1
      if set.host.hierarchy(for: "net_cls") == nil {
        #expect(errorText { try set.apply(l) }.contains("net_cls"))
      }
      l = CgroupLimits()
      l.blkioLeafWeight = 500  // CFQ is gone from this kernel
      let text = errorText { try set.apply(l) }
      #expect(text.contains("linux.resources.blockIO.leafWeight") && text.contains("blkio.leaf_weight"))
      l = CgroupLimits()
      l.cpuShares = 1_000_000
      #expect(errorText { try set.apply(l) }.contains("262144"))
    }
  }

  @Test func attachFreezeThawStats() throws {
    try RealHost.withCgroup("procs") { set in
      let sleeper = try RealHost.spawn(["/bin/sleep", "100"])
      defer { sleeper.wait(timeout: 0) }
      try set.attach(pid: sleeper.pid)
      #expect(set.pids() == [sleeper.pid])
      let cgroupFile = Files.readIfPresent("/proc/\(sleeper.pid)/cgroup") ?? ""
      #expect(cgroupFile.contains(":memory:\(set.path)"))
      try set.setFrozen(true)
      #expect(set.isFrozen)
      #expect(RealHost.value(set, "freezer", "freezer.state") == "FROZEN")
      try set.setFrozen(false)
      #expect(!set.isFrozen)
      let stats = set.stats()
      #expect(stats.pids.current == 1)
      #expect(stats.memory.usage.limit > 0)
    }
  }

  @Test func oomEventOnV1() throws {
    try RealHost.withCgroup("oom") { set in
      var l = CgroupLimits()
      l.memoryLimit = 8 << 20
      l.memorySwap = 8 << 20
      try set.apply(l)
      var watcher = try set.watchOOM()
      defer { watcher.close() }
      // sleep first so the child is in the cgroup before it allocates.
      let hog = try RealHost.spawn(["/bin/sh", "-c", "sleep 0.3; exec tail /dev/zero"])
      try set.attach(pid: hog.pid)
      var fds = [pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)]
      let ready = poll(&fds, 1, 15_000)
      let status = hog.wait(timeout: 5)
      #expect(ready == 1)
      #expect(watcher.drain() >= 1)
      #expect(status == 128 + SIGKILL)
    }
  }
}

/// The v2 device program, for real: this hybrid host's unified hierarchy has no
/// controllers, but cgroup-device BPF programs need none, and the kernel checks them
/// for every process in the cgroup.
@Suite(
  .serialized,
  .enabled(if: RealHost.usable && RealHost.host.unifiedMountPoint != nil, "needs root and a unified hierarchy"))
struct DeviceProgramTests {
  @Test func deviceProgramEnforcesRules() throws {
    try RealHost.withCgroup("bpf") { set in
      try DeviceFilter.attach(
        [
          .init(allow: false, type: "a", major: nil, minor: nil, access: "rwm"),
          .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),  // /dev/null
          .init(allow: true, type: "c", major: 1, minor: 5, access: "r"),  // /dev/zero, read only
          .init(allow: true, type: "c", major: 1, minor: 7, access: "rwm"),  // /dev/full ...
          .init(allow: false, type: "c", major: 1, minor: 7, access: "w"),  // ... but not for writing
        ], cgroupDirectory: set.unifiedDirectory!)
      let script =
        "sleep 0.3; : </dev/null && echo null-ok; : </dev/zero && echo zero-r-ok; (: <>/dev/zero) 2>/dev/null || echo zero-rw-denied; (: </dev/urandom) 2>/dev/null || echo urandom-denied; : </dev/full && echo full-r-ok; (: <>/dev/full) 2>/dev/null || echo full-rw-denied"
      let p = try Child(["/bin/sh", "-c", script])
      try set.attach(pid: p.pid)
      #expect(p.wait(timeout: 10) == 0)
      let text = p.out
      #expect(text == "null-ok\nzero-r-ok\nzero-rw-denied\nurandom-denied\nfull-r-ok\nfull-rw-denied\n")
    }
  }

  /// The v2 freezer (cgroup.freeze, core to cgroup2: no controller needed) on the
  /// unified directory of a hybrid host.
  @Test func v2FreezerOnUnifiedDirectory() throws {
    try RealHost.withCgroup("freeze2") { set in
      let dir = set.unifiedDirectory!
      let sleeper = try Child(["/bin/sleep", "100"])
      defer { sleeper.wait(timeout: 0) }
      try set.attach(pid: sleeper.pid)
      try FreezerController.setV2(true, dir: dir)
      #expect(FreezerController.isFrozenV2(dir: dir))
      #expect((Files.readIfPresent(dir + "/cgroup.events") ?? "").contains("frozen 1"))
      try FreezerController.setV2(false, dir: dir)
      #expect(!FreezerController.isFrozenV2(dir: dir))
      #expect((Files.readIfPresent(dir + "/cgroup.events") ?? "").contains("frozen 0"))
    }
  }

  /// The program for runc's default policy (what every container gets without device rules):
  /// mknod is allowed, but a node of /dev/fuse or of a host disk cannot be opened; null can.
  @Test func defaultPolicyProgramDeniesHostDevices() throws {
    let dir = "/tmp/cgroupstests-\(getpid())-nodes"
    mkdir(dir, 0o700)
    defer { _ = try? Child(["/bin/rm", "-rf", dir]).wait(timeout: 10) }
    // The host's first block device (a disk of the host), else loop0.
    var disk = "7 0"
    for line in (Files.readIfPresent("/proc/partitions") ?? "").split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.count == 4, Int(f[0]) != nil {
        disk = f[0] + " " + f[1]
        break
      }
    }
    try RealHost.withCgroup("bpf-default") { set in
      try DeviceFilter.attach(
        [.denyAll] + CgroupLimits.DeviceRule.defaultAllowed, cgroupDirectory: set.unifiedDirectory!)
      let script =
        "sleep 0.3; mknod \(dir)/fuse c 10 229 && echo mknod-ok; mknod \(dir)/disk b \(disk) && echo mknod-b-ok; "
        + "(: <>\(dir)/fuse) 2>/dev/null || echo fuse-denied; (: <\(dir)/disk) 2>/dev/null || echo disk-denied; : <>/dev/null && echo null-ok"
      let p = try Child(["/bin/sh", "-c", script])
      try set.attach(pid: p.pid)
      #expect(p.wait(timeout: 10) == 0)
      #expect(p.out == "mknod-ok\nmknod-b-ok\nfuse-denied\ndisk-denied\nnull-ok\n", "\(p.out)")
    }
  }

  @Test func badAccessIsRefused() {
    let text = errorText {
      _ = try DeviceFilter.assemble([.init(allow: true, type: "c", major: 1, minor: 3, access: "rx")])
    }
    #expect(text.contains("linux.resources.devices[0].access"))
  }
}
