import Glibc
import Testing

// The systemd driver against a recording fake manager and a fake cgroupfs: the calls it makes
// on create, update and delete, in order, what it retries, and what it leaves to the files.
@testable import Cgroups

@Suite("systemd driver (fake bus)")
struct SystemdDriverTests {
  static let unit = try! SystemdUnit.parse("system.slice:docker:abc", id: "x", user: false)

  /// The driver of `fs`'s cgroup as a systemd unit, talking to `bus`.
  static func driver(_ fs: FakeCgroupFS, _ bus: FakeSystemdBus) -> SystemdDriver {
    let cgroup = CgroupSet(host: fs.host, path: fs.path, manager: .systemd(unit: unit.name, user: false))
    return SystemdDriver(
      files: cgroup.filesDriver, unitName: unit.name, connect: { () throws(CgroupError) -> any SystemdBus in bus })
  }

  @Test("create: one StartTransientUnit with the unit and resource properties, then the job's wait")
  func start() throws {
    let fs = FakeCgroupFS(.unified)
    let bus = FakeSystemdBus()
    var l = CgroupLimits()
    l.memoryLimit = 1 << 26
    l.cpuPeriod = 50_000
    let warnings = try Self.driver(fs, bus).start(Self.unit, pid: 77, limits: l, devices: DeviceGroups(procDevices: ""))
    #expect(warnings.isEmpty)
    #expect(bus.calls.count == 3, "\(bus.calls)")
    // The version first (CPUQuotaPeriodUSec needs 242), while the message is built.
    #expect(bus.calls[0] == .property("Version"))
    guard case .start(let name, let mode, let p) = bus.calls[1] else {
      Issue.record("\(bus.calls)")
      return
    }
    #expect(name == "docker-abc.scope" && mode == "replace")
    #expect(
      p.table == [
        #"Description s "hull container abc""#, #"Slice s "system.slice""#, "Delegate b true", "PIDs au [77]",
        "MemoryAccounting b true", "CPUAccounting b true", "IOAccounting b true", "TasksAccounting b true",
        "DefaultDependencies b false", "MemoryMax t 67108864", "CPUQuotaPeriodUSec t 50000",
        "CPUQuotaPerSecUSec t infinity",
      ])
    #expect(bus.calls[2] == .wait("/org/freedesktop/systemd1/job/1"))
  }

  @Test("a failed unit of the same name is reset and the start retried once; an active one is refused")
  func unitExists() throws {
    let fs = FakeCgroupFS(.unified)
    let bus = FakeSystemdBus()
    bus.startErrors = [FakeSystemdBus.busError("org.freedesktop.systemd1.UnitExists")]
    _ = try Self.driver(fs, bus).start(Self.unit, pid: 1, limits: CgroupLimits())
    #expect(
      bus.calls.map(\.description).map { String($0.prefix(while: { $0 != "(" })) }
        == ["StartTransientUnit", "ResetFailedUnit", "StartTransientUnit", "wait"])

    let busy = FakeSystemdBus()
    busy.startErrors = Array(repeating: FakeSystemdBus.busError("org.freedesktop.systemd1.UnitExists"), count: 2)
    let text = errorText { _ = try Self.driver(fs, busy).start(Self.unit, pid: 1, limits: CgroupLimits()) }
    #expect(text.contains("docker-abc.scope") && text.contains("already loaded"), "\(text)")
  }

  @Test("a start job that does not end \"done\" is an error naming the unit, and the unit is reset")
  func failedJob() {
    let fs = FakeCgroupFS(.unified)
    let bus = FakeSystemdBus()
    bus.jobResults = ["failed"]
    let text = errorText { _ = try Self.driver(fs, bus).start(Self.unit, pid: 1, limits: CgroupLimits()) }
    #expect(text.contains("StartTransientUnit docker-abc.scope") && text.contains("\"failed\""), "\(text)")
    #expect(bus.calls.last == .resetFailed("docker-abc.scope"))
  }

  @Test("other start errors carry systemd's D-Bus error")
  func startError() {
    let fs = FakeCgroupFS(.unified)
    let bus = FakeSystemdBus()
    bus.startErrors = [
      .bus(
        "StartTransientUnit", "docker-abc.scope", errno: EINVAL, name: "org.freedesktop.DBus.Error.InvalidArgs",
        message: "Cannot set property Foo, or unknown property.")
    ]
    let text = errorText { _ = try Self.driver(fs, bus).start(Self.unit, pid: 1, limits: CgroupLimits()) }
    #expect(text.contains("InvalidArgs") && text.contains("unknown property"), "\(text)")
    #expect(bus.calls.count == 1)
  }

  @Test("update: SetUnitProperties(runtime) with what systemd owns, then every field to the files")
  func update() throws {
    let fs = FakeCgroupFS(.unified)
    fs.set(nil, "cpu.max", "20000 200000\n")
    let bus = FakeSystemdBus()
    var l = CgroupLimits()
    l.memoryLimit = 32 << 20
    l.cpuQuota = 50_000
    l.memorySwappiness = nil
    l.pidsLimit = 10
    _ = try Self.driver(fs, bus).update(l)
    #expect(bus.calls.count == 2, "\(bus.calls)")
    #expect(bus.calls[0] == .property("Version"))
    guard case .set(let name, let runtime, let p) = bus.calls[1] else {
      Issue.record("\(bus.calls)")
      return
    }
    #expect(name == "docker-abc.scope" && runtime)
    // The period in force (200000) goes with the new quota, read back from cpu.max.
    #expect(
      p.table == [
        "MemoryMax t 33554432", "CPUQuotaPeriodUSec t 200000", "CPUQuotaPerSecUSec t 250000", "TasksMax t 10",
      ])
    #expect(fs.read(nil, "memory.max") == "33554432")
    #expect(fs.read(nil, "cpu.max") == "50000")
    #expect(fs.read(nil, "pids.max") == "10")
  }

  @Test("update of what systemd does not manage does not connect")
  func updateFilesOnly() throws {
    let fs = FakeCgroupFS(.hybrid)
    var l = CgroupLimits()
    l.memorySwappiness = 10
    let cgroup = CgroupSet(host: fs.host, path: fs.path, manager: .systemd(unit: "x.scope", user: false))
    let driver = SystemdDriver(
      files: cgroup.filesDriver, unitName: "x.scope",
      connect: { () throws(CgroupError) -> any SystemdBus in
        throw CgroupError("connect", "", errno: ECONNREFUSED)
      })
    _ = try driver.update(l)
    #expect(fs.read("memory", "memory.swappiness") == "10")
  }

  @Test("v1: the container is frozen while systemd re-applies the unit's properties, then thawed")
  func updateFreezesOnV1() throws {
    let fs = FakeCgroupFS(.hybrid)
    fs.set("freezer", "freezer.state", "THAWED\n")
    let bus = FakeSystemdBus()
    var stateDuringSet = ""
    bus.onSet = { stateDuringSet = fs.read("freezer", "freezer.state") }
    var l = CgroupLimits()
    l.memoryLimit = 1 << 25
    _ = try Self.driver(fs, bus).update(l)
    #expect(stateDuringSet.hasPrefix("FROZEN"), "\(stateDuringSet)")
    #expect(fs.read("freezer", "freezer.state").hasPrefix("THAWED"))
    #expect(fs.read("memory", "memory.limit_in_bytes") == "33554432")
    guard case .set(_, _, let p) = bus.calls.last else {
      Issue.record("\(bus.calls)")
      return
    }
    #expect(p.table == ["MemoryLimit t 33554432"])
  }

  @Test("delete: StopUnit, its job, ResetFailedUnit; a unit already gone is fine")
  func stop() throws {
    let fs = FakeCgroupFS(.unified)
    let bus = FakeSystemdBus()
    try Self.driver(fs, bus).stop()
    #expect(
      bus.calls == [
        .stop("docker-abc.scope", mode: "replace"), .wait("/org/freedesktop/systemd1/job/1"),
        .resetFailed("docker-abc.scope"),
      ])
    let gone = FakeSystemdBus()
    gone.stopError = FakeSystemdBus.busError("org.freedesktop.systemd1.NoSuchUnit", errno: ENOENT)
    try Self.driver(fs, gone).stop()
    #expect(gone.calls == [.stop("docker-abc.scope", mode: "replace")])
    let refused = FakeSystemdBus()
    refused.stopError = FakeSystemdBus.busError("org.freedesktop.DBus.Error.AccessDenied", errno: EACCES)
    #expect(throws: CgroupError.self) { try Self.driver(fs, refused).stop() }
  }

  @Test("reading (stats, freezer state) and pause/resume use the files and never connect")
  func filesOnly() throws {
    let fs = FakeCgroupFS(.unified)
    let cgroup = CgroupSet(host: fs.host, path: fs.path, manager: .systemd(unit: "x.scope", user: false))
    let driver = SystemdDriver(
      files: cgroup.filesDriver, unitName: "x.scope",
      connect: { () throws(CgroupError) -> any SystemdBus in
        Issue.record("connected")
        throw CgroupError("connect", "", errno: ECONNREFUSED)
      })
    fs.set(nil, "memory.current", "4096\n")
    #expect(driver.stats().memory.usage.usage == 4096)
    #expect(!driver.isFrozen)
    try driver.setFrozen(true)
    #expect(fs.read(nil, "cgroup.freeze") == "1")
  }
}
