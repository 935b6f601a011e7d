import Testing

// linux.resources → systemd unit properties: every property of a representative config with its
// D-Bus type signature and value, on v2 and v1, as runc 1.1.5 converts them (and the conversions
// runc leaves to the files: IO on v2 and v1 here, see SystemdProperties).
@testable import Cgroups

@Suite("systemd unit properties")
struct SystemdPropertiesTests {
  static let groups = DeviceGroups(
    procDevices: "Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  8 sd\n")

  /// A config touching every family systemd manages, after hull's planner (device policy included).
  static var limits: CgroupLimits {
    var l = CgroupLimits()
    l.devices =
      [.denyAll, .init(allow: true, type: "c", major: 10, minor: 229, access: "rw")]
      + CgroupLimits.DeviceRule.defaultAllowed
    l.memoryLimit = 64 << 20
    l.memoryReservation = 32 << 20
    l.memorySwap = 96 << 20
    l.cpuShares = 1024
    l.cpuQuota = 50_000
    l.cpuPeriod = 100_000
    l.cpusetCpus = "0-1,9"
    l.cpusetMems = "0"
    l.pidsLimit = 42
    l.blkioWeight = 500
    l.blkioWeightDevices = [.init(major: 8, minor: 0, value: 300)]
    l.blkioThrottleReadBps = [.init(major: 8, minor: 0, value: 1_048_576)]
    l.blkioThrottleWriteIOPS = [.init(major: 8, minor: 16, value: 100)]
    l.unified = [.init("memory.high", "50331648"), .init("memory.oom.group", "1")]
    return l
  }

  static let deviceAllow =
    #"DeviceAllow a(ss) [("/dev/char/10:229" "rw"),("char-*" "m"),("block-*" "m"),("/dev/char/1:3" "rwm"),("/dev/char/1:8" "rwm"),("/dev/char/1:7" "rwm"),("/dev/char/5:0" "rwm"),("/dev/char/1:5" "rwm"),("/dev/char/1:9" "rwm"),("char-pts" "rwm"),("/dev/char/5:2" "rwm"),("/dev/char/10:200" "rwm")]"#

  @Test("v2: every property, its signature and value")
  func unified() throws {
    var warnings: [String] = []
    let p = try SystemdProperties.resources(
      Self.limits, unified: true, version: { 252 }, devices: Self.groups, warnings: &warnings)
    #expect(
      p.table == [
        #"DevicePolicy s "strict""#, Self.deviceAllow,
        "MemoryMax t 67108864", "MemoryLow t 33554432", "MemorySwapMax t 33554432",
        "CPUWeight t 39", "CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t 500000", "TasksMax t 42",
        "AllowedCPUs ay [3,2]", "AllowedMemoryNodes ay [1]",
        "IOWeight t 4950", "IODeviceWeight a(st) [(\"/dev/block/8:0\" 2930)]",
        "IOReadBandwidthMax a(st) [(\"/dev/block/8:0\" 1048576)]", "IOWriteIOPSMax a(st) [(\"/dev/block/8:16\" 100)]",
        "MemoryHigh t 50331648",
      ])
    #expect(warnings.isEmpty, "\(warnings)")
  }

  @Test("v1: runc's legacy properties (MemoryLimit, CPUShares, BlockIO*)")
  func legacy() throws {
    var warnings: [String] = []
    var l = Self.limits
    l.unified = []
    let p = try SystemdProperties.resources(
      l, unified: false, version: { 252 }, devices: Self.groups, warnings: &warnings)
    #expect(
      p.table == [
        #"DevicePolicy s "strict""#, Self.deviceAllow,
        "MemoryLimit t 67108864", "CPUShares t 1024", "CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t 500000",
        "TasksMax t 42", "AllowedCPUs ay [3,2]", "AllowedMemoryNodes ay [1]",
        "BlockIOWeight t 500", "BlockIODeviceWeight a(st) [(\"/dev/block/8:0\" 300)]",
        "BlockIOReadBandwidth a(st) [(\"/dev/block/8:0\" 1048576)]",
      ])
  }

  @Test("the unit: Description, Slice, Delegate, PIDs, accounting, DefaultDependencies")
  func unit() throws {
    let scope = try SystemdUnit.parse("machine.slice:libpod:abc", id: "x", user: false)
    #expect(
      SystemdProperties.unit(scope, pid: 4321, unified: true).table == [
        #"Description s "hull container abc""#, #"Slice s "machine.slice""#, "Delegate b true", "PIDs au [4321]",
        "MemoryAccounting b true", "CPUAccounting b true", "IOAccounting b true", "TasksAccounting b true",
        "DefaultDependencies b false",
      ])
    #expect(SystemdProperties.unit(scope, pid: 4321, unified: false).table.contains("BlockIOAccounting b true"))
    // A name ending in .slice is a slice: Wants= its parent, no Delegate (runc's getUnitName/Apply).
    let slice = try SystemdUnit.parse("system.slice:p:pod1.slice", id: "x", user: false)
    let sliceProperties = SystemdProperties.unit(slice, pid: 1, unified: true).table
    #expect(sliceProperties.contains(#"Wants as ["system.slice"]"#))
    #expect(!sliceProperties.contains { $0.hasPrefix("Delegate") || $0.hasPrefix("Slice ") })
  }

  @Test("cpu quota: rounded up to 10 ms per second; no quota with a period is infinity; the default period")
  func cpuQuota() throws {
    func run(_ quota: Int64, _ period: UInt64) throws -> [String] {
      var p: [UnitProperty] = []
      var w: [String] = []
      try SystemdProperties.cpuQuota(quota: quota, period: period, version: { 252 }, into: &p, warnings: &w)
      return p.table
    }
    #expect(try run(33_333, 100_000) == ["CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t 340000"])
    #expect(try run(-1, 100_000) == ["CPUQuotaPeriodUSec t 100000", "CPUQuotaPerSecUSec t infinity"])
    #expect(try run(25_000, 0) == ["CPUQuotaPerSecUSec t 250000"])
    #expect(try run(0, 0) == [])
  }

  @Test("swap: v1 memory+swap becomes v2 swap alone; unlimited memory without swap is both unlimited")
  func swap() throws {
    var l = CgroupLimits()
    l.memoryLimit = -1
    #expect(try SystemdProperties.swapMax(l) == UInt64.max)
    l.memoryLimit = 100
    l.memorySwap = -1
    #expect(try SystemdProperties.swapMax(l) == UInt64.max)
    l.memorySwap = 250
    #expect(try SystemdProperties.swapMax(l) == 150)
    l.memorySwap = 50
    #expect(throws: CgroupError.self) { try SystemdProperties.swapMax(l) }
  }

  @Test("older systemd: period and cpusets are left to the files, with a warning each")
  func oldSystemd() throws {
    var warnings: [String] = []
    let p = try SystemdProperties.resources(
      Self.limits, unified: true, version: { 241 }, devices: Self.groups, warnings: &warnings)
    #expect(
      !p.contains { $0.name == "CPUQuotaPeriodUSec" || $0.name == "AllowedCPUs" || $0.name == "AllowedMemoryNodes" })
    #expect(p.contains { $0.name == "CPUQuotaPerSecUSec" })
    #expect(warnings.count == 2, "\(warnings)")
  }

  @Test("the version is asked only when a property depends on it")
  func versionOnlyWhenNeeded() throws {
    var asked = 0
    var warnings: [String] = []
    var l = CgroupLimits()
    l.memoryLimit = 1 << 20
    _ = try SystemdProperties.resources(
      l, unified: true,
      version: {
        asked += 1
        return 252
      }, devices: Self.groups, warnings: &warnings)
    #expect(asked == 0)
  }

  @Test(
    "cpu masks: runc's RangeToBits",
    arguments: [
      ("0", [1] as [UInt8]), ("0-7", [255]), ("8", [0, 1]), ("1,3-5", [0b0011_1010]), (" 0 , ,2", [5]),
      ("0-9", [255, 3]),
    ])
  func bits(_ text: String, _ bytes: [UInt8]) throws {
    #expect(try SystemdProperties.rangeToBits(text, field: "f") == bytes)
  }

  @Test("bad cpu masks are refused", arguments: ["", ",", "a", "3-1", "1-", "70000", "0-4294967295"])
  func badBits(_ text: String) {
    #expect(throws: CgroupError.self) { try SystemdProperties.rangeToBits(text, field: "f") }
  }

  @Test("unified keys systemd has properties for; max is infinity; the rest stay files-only")
  func unifiedKeys() throws {
    var warnings: [String] = []
    let keys: [CgroupLimits.KeyValue] = [
      .init("cpu.max", "max 50000"), .init("cpu.weight", "200"), .init("cpuset.cpus", "0"), .init("memory.min", "1024"),
      .init("memory.max", " max\n"), .init("memory.swap.max", "0"), .init("pids.max", "max"),
      .init("io.max", "8:0 rbps=1"),
    ]
    let p = try SystemdProperties.unifiedKeys(keys, version: { 252 }, warnings: &warnings)
    #expect(
      p.table == [
        "CPUQuotaPeriodUSec t 50000", "CPUQuotaPerSecUSec t infinity", "CPUWeight t 200", "AllowedCPUs ay [1]",
        "MemoryMin t 1024", "MemoryMax t infinity", "MemorySwapMax t 0", "TasksMax t infinity",
      ])
    #expect(throws: CgroupError.self) {
      try SystemdProperties.unifiedKeys([.init("memory.high", "lots")], version: { 252 }, warnings: &warnings)
    }
  }

  @Test("device rules: a deny list is DevicePolicy=auto; *:N rules and unknown majors are left out with a warning")
  func devices() throws {
    var warnings: [String] = []
    let privileged: [CgroupLimits.DeviceRule] = [
      .denyAll, .init(allow: true, type: "a", major: nil, minor: nil, access: "rwm"),
    ]
    #expect(
      try SystemdDeviceProperties.properties(privileged, groups: Self.groups, warnings: &warnings).table
        == [#"DevicePolicy s "auto""#, "DeviceAllow a(ss) []"])
    let odd: [CgroupLimits.DeviceRule] = [
      .denyAll, .init(allow: true, type: "c", major: nil, minor: 3, access: "r"),
      .init(allow: true, type: "c", major: 250, minor: nil, access: "rw"),
      .init(allow: true, type: "b", major: 8, minor: nil, access: "r"),
      .init(allow: true, type: "b", major: 8, minor: nil, access: "w"),
      .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
      .init(allow: false, type: "c", major: 1, minor: 3, access: "w"),
    ]
    #expect(
      try SystemdDeviceProperties.properties(odd, groups: Self.groups, warnings: &warnings).table
        == [#"DevicePolicy s "strict""#, #"DeviceAllow a(ss) [("block-sd" "rw"),("/dev/char/1:3" "rm")]"#])
    #expect(warnings.count == 2, "\(warnings)")
    #expect(try SystemdDeviceProperties.properties([], groups: Self.groups, warnings: &warnings).isEmpty)
  }
}
