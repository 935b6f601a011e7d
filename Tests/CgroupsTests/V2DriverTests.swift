// The v2 driver on a fake unified cgroupfs: v1-unit values converted as runc/crun do,
// v1-only fields refused with the field named, unified keys checked.
import Cgroups
import Glibc
import LinuxKit
import Testing

@Suite struct V2DriverTests {
  @Test func cpuFieldsConverted() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.cpuShares = 1024
    l.cpuQuota = 50000
    l.cpuPeriod = 100000
    l.cpuBurst = 2000
    l.cpuIdle = 1
    l.cpusetCpus = "1"
    l.cpusetMems = "0"
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "cpu.weight") == "39")
    #expect(fs.read(nil, "cpu.max") == "50000 100000")
    #expect(fs.read(nil, "cpu.max.burst") == "2000")
    #expect(fs.read(nil, "cpu.idle") == "1")
    #expect(fs.read(nil, "cpuset.cpus") == "1")
    #expect(fs.read(nil, "cpuset.mems") == "0")
  }

  @Test func cpuMaxForms() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.cpuQuota = -1
    l.cpuPeriod = 250000
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "cpu.max") == "max 250000")
    l = CgroupLimits()
    l.cpuQuota = 20000
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "cpu.max") == "20000")
    // A period-only update keeps the quota in force.
    fs.set(nil, "cpu.max", "30000 100000\n")
    l = CgroupLimits()
    l.cpuPeriod = 50000
    try fs.cgroup.update(l)
    #expect(fs.read(nil, "cpu.max") == "30000 50000")
  }

  @Test func realtimeIsRefused() {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.cpuRealtimeRuntime = 1000
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.cpu.realtimeRuntime"))
    l = CgroupLimits()
    l.cpuRealtimePeriod = 1000
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.cpu.realtimePeriod"))
  }

  @Test func memoryAndSwapSemantics() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.memoryLimit = 100 << 20
    l.memorySwap = 150 << 20  // v1 memsw: memory + swap
    l.memoryReservation = 50 << 20
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "memory.max") == "104857600")
    #expect(fs.read(nil, "memory.swap.max") == "52428800")
    #expect(fs.read(nil, "memory.low") == "52428800")
    l.memorySwap = -1
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "memory.swap.max") == "max")
    l = CgroupLimits()
    l.memoryLimit = -1  // unlimited memory, swap not given: both unlimited
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "memory.max") == "max" && fs.read(nil, "memory.swap.max") == "max")
  }

  @Test func swapNeedsALimit() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.memorySwap = 10 << 20
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.memory.swap"))
    l.memoryLimit = 20 << 20  // swap below limit
    #expect(errorText { try fs.cgroup.apply(l) }.contains("must not be below"))
    // A swap-only update converts against the limit in force.
    fs.set(nil, "memory.max", "4194304\n")
    l = CgroupLimits()
    l.memorySwap = 6 << 20
    try fs.cgroup.update(l)
    #expect(fs.read(nil, "memory.swap.max") == "2097152")
  }

  @Test func v1OnlyMemoryFieldsAreRefused() {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.memorySwappiness = 60
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.memory.swappiness"))
    l = CgroupLimits()
    l.disableOOMKiller = true
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.memory.disableOOMKiller"))
    l = CgroupLimits()
    l.memoryUseHierarchy = false
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.memory.useHierarchy"))
    l.memoryUseHierarchy = true  // always true on v2: nothing to do
    #expect(errorText { try fs.cgroup.apply(l) } == "")
  }

  @Test func checkBeforeUpdate() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "memory.current", "8388608\n")
    var l = CgroupLimits()
    l.memoryLimit = 4 << 20
    l.memoryCheckBeforeUpdate = true
    #expect(errorText { try fs.cgroup.update(l) }.contains("below the current usage"))
    #expect(fs.read(nil, "memory.max") == "")
    l.memoryCheckBeforeUpdate = false
    try fs.cgroup.update(l)
    #expect(fs.read(nil, "memory.max") == "4194304")
  }

  @Test func pids() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.pidsLimit = 42
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "pids.max") == "42")
    l.pidsLimit = 0
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "pids.max") == "max")
  }

  @Test func ioWeightConvertedAndThrottles() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.blkioWeight = 100
    l.blkioWeightDevices = [.init(major: 8, minor: 0, value: 1000)]
    l.blkioThrottleReadBps = [.init(major: 8, minor: 0, value: 1000)]
    l.blkioThrottleWriteBps = [.init(major: 8, minor: 0, value: 2000)]
    l.blkioThrottleReadIOPS = [.init(major: 8, minor: 0, value: 30)]
    l.blkioThrottleWriteIOPS = [.init(major: 8, minor: 0, value: 40)]
    try fs.cgroup.apply(l)
    // 1 + (100 - 10) * 9999 / 990 = 910; 1000 → 10000
    #expect(fs.read(nil, "io.weight") == "default 9108:0 10000")
    #expect(fs.read(nil, "io.max") == "8:0 rbps=10008:0 wbps=20008:0 riops=308:0 wiops=40")
  }

  @Test func ioWeightWithBFQKeepsV1Values() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "io.bfq.weight", "")
    var l = CgroupLimits()
    l.blkioWeight = 300
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "io.bfq.weight") == "300")
    #expect(fs.read(nil, "io.weight") == "")
  }

  @Test func leafWeightIsRefused() {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.blkioLeafWeight = 100
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.blockIO.leafWeight"))
  }

  @Test func hugetlbAndRdma() throws {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.hugepageLimits = [.init(pageSize: "2MB", limit: 8 << 20)]
    l.rdma = [.init(device: "mlx5_1", hcaHandles: 3, hcaObjects: nil)]
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "hugetlb.2MB.max") == "8388608")
    #expect(fs.read(nil, "hugetlb.2MB.rsvd.max") == "8388608")
    #expect(fs.read(nil, "rdma.max") == "mlx5_1 hca_handle=3")
    l = CgroupLimits()
    l.hugepageLimits = [.init(pageSize: "1GB", limit: 0)]
    let text = errorText { try fs.cgroup.apply(l) }
    #expect(text.contains("hugetlb.1GB.max"))
  }

  @Test func networkIsRefused() {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.networkClassID = 7
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.network.classID"))
  }

  @Test func devicesNeedTheBPFProgram() {
    let fs = FakeCgroupFS(.unified)
    var l = CgroupLimits()
    l.devices = [.init(allow: false, type: "a", major: nil, minor: nil, access: "rwm")]
    // A temp dir is no cgroup: either "not supported" or the attach fails; never silence.
    #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.devices"))
  }

  @Test func unifiedKeys() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "memory.high", "")
    var l = CgroupLimits()
    l.memoryLimit = 1 << 20
    l.unified = [.init("memory.high", "524288"), .init("memory.max", "2097152")]
    try fs.cgroup.apply(l)
    #expect(fs.read(nil, "memory.high") == "524288")
    #expect(fs.read(nil, "memory.max") == "2097152")  // written after the converted fields
    for key in ["cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "../memory.max", "a/b"] {
      l.unified = [.init(key, "1")]
      #expect(errorText { try fs.cgroup.apply(l) }.contains("linux.resources.unified"), "\(key)")
    }
    l.unified = [.init("memory.oom.group", "1")]
    #expect(errorText { try fs.cgroup.apply(l) }.contains("memory.oom.group"))
  }

  @Test func createEnablesControllersInAncestors() throws {
    let fs = FakeCgroupFS(.unified, withFiles: false)
    try Files.makeDirectories(fs.root + "/pod")
    fs.put(fs.root + "/cgroup.subtree_control", "")
    fs.put(fs.root + "/pod/cgroup.subtree_control", "cpu\n")
    let created = try fs.cgroup.create()
    #expect(created == [fs.root + "/pod/ctr"])
    #expect(Files.readIfPresent(fs.root + "/cgroup.subtree_control") == "+cpuset +cpu +io +memory +hugetlb +pids +rdma")
    #expect(Files.readIfPresent(fs.root + "/pod/cgroup.subtree_control") == "+cpuset +io +memory +hugetlb +pids +rdma")
    CgroupSet.remove(created)
    #expect(!Files.exists(fs.root + "/pod/ctr") && Files.exists(fs.root + "/pod"))
  }

  @Test func freeze() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "cgroup.events", "populated 1\nfrozen 1\n")
    try fs.cgroup.setFrozen(true)
    #expect(fs.read(nil, "cgroup.freeze") == "1" && fs.cgroup.isFrozen)
    fs.set(nil, "cgroup.events", "populated 1\nfrozen 0\n")
    try fs.cgroup.setFrozen(false)
    #expect(fs.read(nil, "cgroup.freeze") == "0" && !fs.cgroup.isFrozen)
  }

  @Test func stats() {
    let fs = FakeCgroupFS(.unified)
    fs.set(
      nil, "cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 2\nnr_throttled 1\nthrottled_usec 3\n")
    fs.set(nil, "memory.current", "4096\n")
    fs.set(nil, "memory.max", "max\n")
    fs.set(nil, "memory.stat", "anon 1\nfile 2\n")
    fs.set(nil, "pids.current", "2\n")
    fs.set(nil, "pids.max", "10\n")
    fs.set(nil, "io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n")
    fs.set(nil, "hugetlb.2MB.current", "0\n")
    let s = fs.cgroup.stats()
    #expect(s.cpu.total == 10_000 && s.cpu.user == 6000 && s.cpu.kernel == 4000 && s.cpu.throttledTime == 3000)
    #expect(s.memory.usage.usage == 4096 && s.memory.usage.limit == UInt64.max && s.memory.cache == 2)
    #expect(s.pids.current == 2 && s.pids.limit == 10)
    #expect(s.blkio.ioServiceBytesRecursive.map(\.op) == ["Read", "Write"])
    #expect(s.blkio.ioServicedRecursive.map(\.value) == [1, 2])
    #expect(s.hugetlb.map(\.pageSize) == ["2MB"])
  }

  @Test func oomWatcherCountsMemoryEvents() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    var watcher = try fs.cgroup.watchOOM()
    defer { watcher.close() }
    #expect(watcher.drain() == 0)
    fs.set(nil, "memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
    var fds = [pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)]
    #expect(poll(&fds, 1, 2000) == 1)
    #expect(watcher.drain() == 2)
    #expect(watcher.drain() == 0)
  }
}
