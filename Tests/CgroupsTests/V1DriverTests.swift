// The v1 driver on a fake cgroupfs: every linux.resources field lands in its v1 file
// with the spec's value, and what the host cannot honour fails naming field and file.
import Cgroups
import LinuxKit
import Testing

@Suite struct V1DriverTests {
  @Test func cpuAndCpusetFields() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.cpuShares = 512
    l.cpuQuota = 50000
    l.cpuPeriod = 100000
    l.cpuBurst = 1000
    l.cpuRealtimePeriod = 1_000_000
    l.cpuRealtimeRuntime = 950_000
    l.cpuIdle = 1
    l.cpusetCpus = "0-1"
    l.cpusetMems = "0"
    try fs.cgroup.apply(l)
    #expect(fs.read("cpu", "cpu.shares") == "512")
    #expect(fs.read("cpu", "cpu.cfs_quota_us") == "50000")
    #expect(fs.read("cpu", "cpu.cfs_period_us") == "100000")
    #expect(fs.read("cpu", "cpu.cfs_burst_us") == "1000")
    #expect(fs.read("cpu", "cpu.rt_period_us") == "1000000")
    #expect(fs.read("cpu", "cpu.rt_runtime_us") == "950000")
    #expect(fs.read("cpu", "cpu.idle") == "1")
    #expect(fs.read("cpuset", "cpuset.cpus") == "0-1")
    #expect(fs.read("cpuset", "cpuset.mems") == "0")
  }

  @Test func unlimitedQuotaAndZerosAsUnset() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.cpuQuota = -1
    l.cpuShares = 0  // runc: 0 = not set
    l.memoryLimit = 0
    try fs.cgroup.apply(l)
    #expect(fs.read("cpu", "cpu.cfs_quota_us") == "-1")
    #expect(fs.read("cpu", "cpu.shares") == "")
    #expect(fs.read("memory", "memory.limit_in_bytes") == "")
  }

  @Test func memoryFields() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.memoryLimit = 64 << 20
    l.memorySwap = 128 << 20
    l.memoryReservation = 32 << 20
    l.memorySwappiness = 10
    l.disableOOMKiller = true
    l.memoryUseHierarchy = true
    l.memoryCheckBeforeUpdate = true  // v1: the kernel itself refuses a limit below usage
    try fs.cgroup.apply(l)
    #expect(fs.read("memory", "memory.limit_in_bytes") == "67108864")
    #expect(fs.read("memory", "memory.memsw.limit_in_bytes") == "134217728")
    #expect(fs.read("memory", "memory.soft_limit_in_bytes") == "33554432")
    #expect(fs.read("memory", "memory.swappiness") == "10")
    #expect(fs.read("memory", "memory.oom_control") == "1")
    #expect(fs.read("memory", "memory.use_hierarchy") == "1")
  }

  @Test func unlimitedMemoryAlsoUnlimitsSwap() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.memoryLimit = -1
    try fs.cgroup.apply(l)
    #expect(fs.read("memory", "memory.limit_in_bytes") == "-1")
    #expect(fs.read("memory", "memory.memsw.limit_in_bytes") == "-1")
  }

  @Test func swappinessOutOfRangeIsRefused() {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.memorySwappiness = 101
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.memory.swappiness"))
  }

  @Test func missingSwapAccountingNamesFieldAndFile() {
    let fs = FakeCgroupFS(.v1)
    fs.remove("memory", "memory.memsw.limit_in_bytes")
    var l = CgroupLimits()
    l.memoryLimit = 1 << 20
    l.memorySwap = 2 << 20
    let text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.memory.swap"))
    #expect(text.contains("memory.memsw.limit_in_bytes"))
  }

  @Test func pidsLimit() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.pidsLimit = 100
    try fs.cgroup.apply(l)
    #expect(fs.read("pids", "pids.max") == "100")
    l.pidsLimit = -1
    try fs.cgroup.apply(l)
    #expect(fs.read("pids", "pids.max") == "max")
  }

  @Test func blockIOFields() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.blkioWeight = 500
    l.blkioLeafWeight = 300
    l.blkioWeightDevices = [.init(major: 8, minor: 0, value: 600)]
    l.blkioLeafWeightDevices = [.init(major: 8, minor: 0, value: 200)]
    l.blkioThrottleReadBps = [.init(major: 8, minor: 0, value: 1000), .init(major: 8, minor: 16, value: 2000)]
    l.blkioThrottleWriteBps = [.init(major: 8, minor: 0, value: 3000)]
    l.blkioThrottleReadIOPS = [.init(major: 8, minor: 0, value: 40)]
    l.blkioThrottleWriteIOPS = [.init(major: 8, minor: 0, value: 50)]
    try fs.cgroup.apply(l)
    #expect(fs.read("blkio", "blkio.weight") == "500")
    #expect(fs.read("blkio", "blkio.leaf_weight") == "300")
    #expect(fs.read("blkio", "blkio.weight_device") == "8:0 600")
    #expect(fs.read("blkio", "blkio.leaf_weight_device") == "8:0 200")
    #expect(fs.read("blkio", "blkio.throttle.read_bps_device") == "8:0 10008:16 2000")
    #expect(fs.read("blkio", "blkio.throttle.write_bps_device") == "8:0 3000")
    #expect(fs.read("blkio", "blkio.throttle.read_iops_device") == "8:0 40")
    #expect(fs.read("blkio", "blkio.throttle.write_iops_device") == "8:0 50")
  }

  @Test func blockIOWeightFallsBackToBFQ() throws {
    let fs = FakeCgroupFS(.v1)
    fs.remove("blkio", "blkio.weight")
    fs.remove("blkio", "blkio.weight_device")
    fs.set("blkio", "blkio.bfq.weight", "")
    fs.set("blkio", "blkio.bfq.weight_device", "")
    var l = CgroupLimits()
    l.blkioWeight = 700
    l.blkioWeightDevices = [.init(major: 254, minor: 0, value: 800)]
    try fs.cgroup.apply(l)
    #expect(fs.read("blkio", "blkio.bfq.weight") == "700")
    #expect(fs.read("blkio", "blkio.bfq.weight_device") == "254:0 800")
  }

  @Test func missingLeafWeightNamesFile() {
    let fs = FakeCgroupFS(.v1)
    fs.remove("blkio", "blkio.leaf_weight")
    var l = CgroupLimits()
    l.blkioLeafWeight = 100
    let text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.blockIO.leafWeight") && text.contains("blkio.leaf_weight"))
  }

  @Test func hugepageLimits() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.hugepageLimits = [.init(pageSize: "2MB", limit: 4 << 20), .init(pageSize: "1GB", limit: 0)]
    try fs.cgroup.apply(l)
    #expect(fs.read("hugetlb", "hugetlb.2MB.limit_in_bytes") == "4194304")
    #expect(fs.read("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes") == "4194304")
    #expect(fs.read("hugetlb", "hugetlb.1GB.limit_in_bytes") == "0")
    l.hugepageLimits = [.init(pageSize: "3MB", limit: 1)]
    let text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.hugepageLimits") && text.contains("hugetlb.3MB.limit_in_bytes"))
  }

  @Test func networkWithoutNetClsNamesFieldAndHierarchy() {
    let fs = FakeCgroupFS(.v1)  // like this machine: net_cls / net_prio not mounted
    var l = CgroupLimits()
    l.networkClassID = 0x100001
    var text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.network.classID") && text.contains("net_cls"))
    l = CgroupLimits()
    l.networkPriorities = [.init("eth0", "5")]
    text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.network.priorities") && text.contains("net_prio"))
  }

  @Test func networkWhenMounted() throws {
    let fs = FakeCgroupFS(.v1, v1Controllers: ["net_cls", "net_prio"])
    var l = CgroupLimits()
    l.networkClassID = 1_048_577
    l.networkPriorities = [.init("eth0", "5"), .init("lo", "2")]
    try fs.cgroup.apply(l)
    #expect(fs.read("net_cls", "net_cls.classid") == "1048577")
    #expect(fs.read("net_prio", "net_prio.ifpriomap") == "eth0 5lo 2")
  }

  @Test func rdma() throws {
    var l = CgroupLimits()
    l.rdma = [
      .init(device: "mlx5_1", hcaHandles: 3, hcaObjects: 10000),
      .init(device: "mlx4_0", hcaHandles: nil, hcaObjects: 7),
    ]
    let missing = FakeCgroupFS(.v1)
    let text = errorText { try missing.cgroup.apply(l) }
    #expect(text.contains("linux.resources.rdma") && text.contains("rdma"))
    let fs = FakeCgroupFS(.v1, v1Controllers: ["rdma"])
    try fs.cgroup.apply(l)
    #expect(fs.read("rdma", "rdma.max") == "mlx5_1 hca_handle=3 hca_object=10000mlx4_0 hca_object=7")
  }

  @Test func devicesInOrder() throws {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.devices = [
      .init(allow: false, type: "a", major: nil, minor: nil, access: "rwm"),
      .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
      .init(allow: true, type: "c", major: 136, minor: nil, access: "rwm"),
      .init(allow: false, type: "b", major: 8, minor: 0, access: "w"),
    ]
    try fs.cgroup.apply(l)
    #expect(fs.read("devices", "devices.deny") == "ab 8:0 w")
    #expect(fs.read("devices", "devices.allow") == "c 1:3 rwmc 136:* rwm")
  }

  @Test func unifiedOnPureV1IsRefused() {
    let fs = FakeCgroupFS(.v1)
    var l = CgroupLimits()
    l.unified = [.init("cgroup.max.depth", "3")]
    #expect(errorText { try fs.cgroup.apply(l) }.contains("cgroup v2"))
  }

  @Test func unifiedOnHybridGoesToUnifiedDirectory() throws {
    let fs = FakeCgroupFS(.hybrid)
    var l = CgroupLimits()
    l.unified = [.init("cgroup.max.depth", "3")]
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "cgroup.max.depth") == "3")
    l.unified = [.init("memory.high", "1000")]
    #expect(errorText { try fs.cgroup.apply(l) }.contains("memory.high"))
  }

  @Test func freezer() throws {
    let fs = FakeCgroupFS(.v1)
    try fs.cgroup.setFrozen(true)
    #expect(fs.read("freezer", "freezer.state") == "FROZEN")
    #expect(fs.cgroup.isFrozen)
    try fs.cgroup.setFrozen(false)
    #expect(fs.read("freezer", "freezer.state") == "THAWED")
    #expect(!fs.cgroup.isFrozen)
  }

  /// create's frozen-cgroup refusal reads nothing of a hierarchy it made from just below the
  /// root (nothing could have frozen it), but still finds a frozen level it did not make.
  @Test func frozenDirectorySkipsOnlyWhatWasMadeFromTheRoot() {
    let fs = FakeCgroupFS(.hybrid)
    fs.set("freezer", "freezer.state", "FROZEN")
    fs.set(nil, "cgroup.freeze", "1")
    let freezerRoot = fs.host.hierarchy(for: "freezer")!.mountPoint
    let unifiedRoot = fs.host.unifiedMountPoint!
    #expect(fs.cgroup.frozenDirectory == fs.dir("freezer"))
    // Only the leaf made: its parent (/pod) existed and could be frozen, so it is still read.
    #expect(fs.cgroup.frozenDirectory(made: [fs.dir("freezer"), fs.dir(nil)]) == fs.dir("freezer"))
    // Every level made in the freezer hierarchy: the unified one is read (and is frozen).
    #expect(fs.cgroup.frozenDirectory(made: [freezerRoot + "/pod", fs.dir("freezer")]) == fs.dir(nil))
    #expect(fs.cgroup.frozenDirectory(made: [freezerRoot + "/pod", unifiedRoot + "/pod"]) == nil)
  }

  /// Below a level access() found missing, deeper levels are missing too: listed, not probed.
  @Test func missingDirectoriesParentsFirst() {
    let fs = FakeCgroupFS(.v1, withFiles: false)
    let deep = CgroupSet(host: fs.host, path: "/a/b/c")
    let memory = fs.host.hierarchy(for: "memory")!.mountPoint
    try! Files.makeDirectories(memory + "/a")
    let missing = deep.missingDirectories()
    #expect(
      missing.contains(memory + "/a/b") && missing.contains(memory + "/a/b/c") && !missing.contains(memory + "/a"))
    let cpu = fs.host.hierarchy(for: "cpu")!.mountPoint
    #expect(Array(missing.filter { $0.hasPrefix(cpu + "/") }) == [cpu + "/a", cpu + "/a/b", cpu + "/a/b/c"])
  }

  @Test func missingControllerDirectoryIsNamed() {
    let fs = FakeCgroupFS(.v1, v1Controllers: ["cpu"])
    var l = CgroupLimits()
    l.pidsLimit = 5
    let text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("linux.resources.pids.limit") && text.contains("pids"))
  }

  @Test func stats() {
    let fs = FakeCgroupFS(.v1)
    fs.set("cpuacct", "cpuacct.usage", "5000\n")
    fs.set("cpuacct", "cpuacct.usage_percpu", "3000 2000 \n")
    fs.set("cpuacct", "cpuacct.stat", "user 3\nsystem 2\n")
    fs.set("cpu", "cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 999\n")
    fs.set("cpuset", "cpuset.cpus", "0-2,5\n")
    fs.set("memory", "memory.usage_in_bytes", "4096\n")
    fs.set("memory", "memory.limit_in_bytes", "8192\n")
    fs.set("memory", "memory.stat", "cache 7\nrss 9\n")
    fs.set("pids", "pids.current", "3\n")
    fs.set("pids", "pids.max", "max\n")
    fs.set("blkio", "blkio.throttle.io_service_bytes_recursive", "8:0 Read 100\n8:0 Write 200\nTotal 300\n")
    fs.set("hugetlb", "hugetlb.2MB.usage_in_bytes", "2097152\n")
    let s = fs.cgroup.stats()
    #expect(s.cpu.total == 5000 && s.cpu.percpu == [3000, 2000])
    #expect(s.cpuset.cpus == [0, 1, 2, 5])
    #expect(s.cpu.user == 30_000_000 && s.cpu.kernel == 20_000_000)
    #expect(s.cpu.periods == 10 && s.cpu.throttledPeriods == 4 && s.cpu.throttledTime == 999)
    #expect(s.memory.usage.usage == 4096 && s.memory.usage.limit == 8192 && s.memory.cache == 7)
    #expect(s.memory.raw.count == 2)
    #expect(s.pids.current == 3 && s.pids.limit == 0)
    #expect(s.blkio.ioServiceBytesRecursive.map(\.value) == [100, 200])
    #expect(s.hugetlb.first { $0.pageSize == "2MB" }?.usage == 2_097_152)
  }
}
