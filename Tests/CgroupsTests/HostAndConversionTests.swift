// Host detection from mountinfo, the injectable root, and the v1 ↔ v2 conversions.
import Cgroups
import Testing

@Suite struct HostAndConversionTests {
  static let hybrid = """
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    37 31 0:33 / /sys/fs/cgroup/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    50 23 0:40 / /tmp rw - tmpfs tmpfs rw
    """

  @Test func detectsHybrid() {
    let host = CgroupHost.detect(mountinfo: Self.hybrid)
    #expect(host.mode == .hybrid)
    #expect(host.unifiedMountPoint == "/sys/fs/cgroup/unified")
    #expect(host.hierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup/memory")
    #expect(host.hierarchy(for: "net_prio")?.controllers == ["net_cls", "net_prio"])
    #expect(host.hierarchy(for: "name=systemd") != nil)
    #expect(host.hierarchy(for: "rdma") == nil)
  }

  @Test func detectsUnifiedAndV1() {
    let unified = CgroupHost.detect(mountinfo: "29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n")
    #expect(unified.mode == .unified && unified.unifiedMountPoint == "/sys/fs/cgroup")
    let v1 = CgroupHost.detect(mountinfo: "32 31 0:29 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n")
    #expect(v1.mode == .v1 && v1.v1.count == 1)
  }

  @Test func injectableRoot() {
    let v1 = CgroupHost(root: "/tmp/x", mode: .v1, v1Controllers: ["cpu", "memory"])
    #expect(v1.hierarchy(for: "memory")?.mountPoint == "/tmp/x/memory" && v1.unifiedMountPoint == nil)
    let hybrid = CgroupHost(root: "/tmp/x", mode: .hybrid)
    #expect(hybrid.mode == .hybrid && hybrid.unifiedMountPoint == "/tmp/x/unified")
    let unified = CgroupHost(root: "/tmp/x", mode: .unified)
    #expect(unified.mode == .unified && unified.v1.isEmpty)
    let set = CgroupSet(host: hybrid, path: "a//b/")
    #expect(set.path == "/a/b")
    #expect(set.directory(controller: "pids") == "/tmp/x/pids/a/b")
    #expect(set.directories.last == "/tmp/x/unified/a/b")
  }

  @Test func sharesToWeight() {
    #expect(CgroupConversions.cpuWeight(shares: 2) == 1)
    #expect(CgroupConversions.cpuWeight(shares: 1024) == 39)
    #expect(CgroupConversions.cpuWeight(shares: 262144) == 10000)
    #expect(CgroupConversions.cpuWeight(shares: 1) == 1)  // clamped like the kernel's v1 range
  }

  @Test func blkioWeightToIOWeight() {
    #expect(CgroupConversions.ioWeight(blkio: 10) == 1)
    #expect(CgroupConversions.ioWeight(blkio: 100) == 910)
    #expect(CgroupConversions.ioWeight(blkio: 500) == 4950)
    #expect(CgroupConversions.ioWeight(blkio: 1000) == 10000)
  }

  @Test func swapConversion() throws {
    #expect(try CgroupConversions.swapMax(swap: 300, limit: 100) == 200)
    #expect(try CgroupConversions.swapMax(swap: 100, limit: 100) == 0)
    #expect(try CgroupConversions.swapMax(swap: -1, limit: 100) == nil)
    #expect(throws: CgroupError.self) { try CgroupConversions.swapMax(swap: 50, limit: 100) }
    #expect(throws: CgroupError.self) { try CgroupConversions.swapMax(swap: 50, limit: nil) }
  }
}
