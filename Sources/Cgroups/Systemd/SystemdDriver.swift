import LinuxKit

/// Who manages a container's cgroup: hull through cgroupfs, or a systemd unit (a transient
/// scope) that hull asks systemd for (--systemd-cgroup).
public enum CgroupManager: Sendable, Equatable {
  case cgroupfs
  /// The unit's name, and whether it belongs to the caller's own (user) manager.
  case systemd(unit: String, user: Bool)
}

/// The systemd driver: systemd makes the unit's cgroup and owns the properties it manages
/// (SystemdProperties); the files of the v1 or v2 driver do the rest, as runc's systemd
/// managers wrap its fs ones. Reading (stats, freezer state, OOM events) and pause/resume
/// go to the files alone (runc freezes through the files too); only create, update and
/// delete talk to systemd, so `state`, `ps` and `events` never load libsystemd.
public struct SystemdDriver: CgroupDriver {
  let files: any CgroupDriver
  public let unitName: String
  let connect: @Sendable () throws(CgroupError) -> any SystemdBus

  public init(
    files: any CgroupDriver, unitName: String, connect: @escaping @Sendable () throws(CgroupError) -> any SystemdBus
  ) {
    self.files = files
    self.unitName = unitName
    self.connect = connect
  }

  public var cgroup: CgroupSet { files.cgroup }
  var unified: Bool { cgroup.host.mode == .unified }

  /// How long a start or stop job may take (runc's 30 s).
  public static let jobTimeoutMs = 30_000

  // MARK: CgroupDriver

  /// create: the files only (the unit was started with the properties, see start);
  /// update: the properties first, then the files.
  public func apply(_ limits: CgroupLimits, update: Bool) throws(CgroupError) {
    if update { _ = try self.update(limits) } else { try files.apply(limits, update: false) }
  }

  public func prepare() throws(CgroupError) { try files.prepare() }
  public func setFrozen(_ frozen: Bool) throws(CgroupError) { try files.setFrozen(frozen) }
  public var isFrozen: Bool { files.isFrozen }
  public func stats() -> CgroupStats { files.stats() }
  public func watchOOM() throws(CgroupError) -> OOMWatcher { try files.watchOOM() }

  // MARK: the unit

  /// StartTransientUnit(name, "replace", unit + resource properties) with `pid` in PIDs, and
  /// the wait for its job. A failed unit of the same name (a container that died in it stays
  /// "failed" until reset) is reset and the start tried once more; an active one is refused.
  /// Returns warnings (properties this systemd cannot take).
  public func start(
    _ unit: SystemdUnit, pid: Int32, limits: CgroupLimits, devices: DeviceGroups = .current(),
    timeoutMs: Int = jobTimeoutMs
  ) throws(CgroupError) -> [String] {
    let bus = try connect()
    var warnings: [String] = []
    var version: Int?
    let properties =
      SystemdProperties.unit(unit, pid: pid, unified: unified)
      + (try SystemdProperties.resources(
        limits, unified: unified,
        version: {
          if version == nil { version = bus.version() }
          return version!
        }, devices: devices, warnings: &warnings))
    let job: String
    do {
      job = try bus.startTransientUnit(unit.name, mode: "replace", properties: properties)
    } catch  where error.busError == SystemdErrorName.unitExists {
      try? bus.resetFailedUnit(unit.name)
      do { job = try bus.startTransientUnit(unit.name, mode: "replace", properties: properties) } catch
        where error.busError == SystemdErrorName.unitExists
      {
        throw CgroupError(
          "systemd StartTransientUnit", unit.name, errno: EEXIST_,
          detail: "a unit of this name is already loaded and active (another container with this cgroupsPath?)")
      }
    }
    let result = try bus.waitForJob(job, timeoutMs: timeoutMs)
    guard result == "done" else {
      try? bus.resetFailedUnit(unit.name)
      throw CgroupError(
        "systemd StartTransientUnit", unit.name, errno: EIO_,
        detail: "the start job ended \"\(result)\" (see `journalctl -u \(unit.name)`)")
    }
    return warnings
  }

  /// `hull update`: SetUnitProperties(runtime) with what systemd manages, then the files.
  /// On v1 systemd rewrites the whole devices list (deny all, then allow) when it applies
  /// any property, so the container is frozen meanwhile, as runc does.
  public func update(_ limits: CgroupLimits) throws(CgroupError) -> [String] {
    var warnings: [String] = []
    var connection: (any SystemdBus)?
    var connectError: CgroupError?
    func bus() -> (any SystemdBus)? {
      if connection == nil && connectError == nil {
        do { connection = try connect() } catch { connectError = error }
      }
      return connection
    }
    var version: Int?
    let properties = try SystemdProperties.resources(
      completed(limits), unified: unified,
      version: {
        if version == nil { version = bus()?.version() ?? 0 }
        return version!
      }, devices: DeviceGroups(procDevices: ""), warnings: &warnings)
    if !properties.isEmpty {
      guard let bus = bus() else { throw connectError! }
      let freeze = !unified && !files.isFrozen && (try? files.setFrozen(true)) != nil
      do { try bus.setUnitProperties(unitName, runtime: true, properties: properties) } catch {
        if freeze { try? files.setFrozen(false) }
        throw error
      }
      if freeze { try files.setFrozen(false) }
    }
    try files.apply(limits, update: true)
    return warnings
  }

  /// StopUnit(name, "replace"), the wait for its job, then ResetFailedUnit (a unit whose
  /// processes were OOM-killed stays "failed"). A unit already gone is not an error.
  public func stop(timeoutMs: Int = jobTimeoutMs) throws(CgroupError) {
    let bus = try connect()
    let job: String
    do { job = try bus.stopUnit(unitName, mode: "replace") } catch  where error.busError == SystemdErrorName.noSuchUnit
    {
      return
    }
    _ = try bus.waitForJob(job, timeoutMs: timeoutMs)
    try? bus.resetFailedUnit(unitName)
  }

  /// An update names only what changes, but a property can combine two fields: the other one
  /// is read back from the files, so systemd is not told a default instead of the value in
  /// force (cpu quota with the period, swap against the memory limit).
  func completed(_ l: CgroupLimits) -> CgroupLimits {
    var c = l
    let quota = l.cpuQuota.flatMap { $0 == 0 ? nil : $0 }
    let period = l.cpuPeriod.flatMap { $0 == 0 ? nil : $0 }
    if unified, let dir = cgroup.unifiedDirectory {
      let cpuMax = CgroupFiles.value(dir, "cpu.max")?.split(separator: " ") ?? []
      if quota == nil, period != nil, let q = cpuMax.first { c.cpuQuota = q == "max" ? -1 : Int64(q) }
      if period == nil, quota != nil, cpuMax.count == 2 { c.cpuPeriod = UInt64(cpuMax[1]) }
      if l.memorySwap.map({ $0 > 0 }) == true, l.memoryLimit.map({ $0 == 0 }) ?? true,
        let max = CgroupFiles.value(dir, "memory.max")
      {
        c.memoryLimit = max == "max" ? -1 : Int64(max)
      }
    } else if let dir = cgroup.directory(controller: "cpu") {
      if quota == nil, period != nil, let q = CgroupFiles.value(dir, "cpu.cfs_quota_us") { c.cpuQuota = Int64(q) }
      if period == nil, quota != nil { c.cpuPeriod = CgroupFiles.number(dir, "cpu.cfs_period_us") }
    }
    return c
  }
}

/// The connection systemd-managed cgroups use: sd-bus's, or a fake that a test installs.
public enum SystemdBusProvider {
  /// Set by unit tests only (before anything connects); nil in hull.
  nonisolated(unsafe) public static var replacement: (@Sendable (_ user: Bool) -> any SystemdBus)?

  static func connect(user: Bool) throws(CgroupError) -> any SystemdBus {
    if let replacement { return replacement(user) }
    return try SDBusConnection.shared(user: user)
  }
}

extension CgroupSet {
  /// The systemd driver of a systemd-managed cgroup, talking to the shared connection.
  var systemdDriver: SystemdDriver? {
    guard case .systemd(let unit, let user) = manager else { return nil }
    return SystemdDriver(
      files: filesDriver, unitName: unit,
      connect: { () throws(CgroupError) -> any SystemdBus in
        try SystemdBusProvider.connect(user: user)
      })
  }

  /// Starts the unit with `pid` in it (see SystemdDriver.start); returns warnings.
  public func startSystemdUnit(_ unit: SystemdUnit, pid: Int32, limits: CgroupLimits) throws(CgroupError) -> [String] {
    guard let driver = systemdDriver else { return [] }
    return try driver.start(unit, pid: pid, limits: limits)
  }

  /// Stops the unit (delete, or a create that failed after starting it).
  public func stopSystemdUnit() throws(CgroupError) { try systemdDriver?.stop() }

  /// A user manager's unit lives below the manager's own cgroup
  /// ("/user.slice/user-1000.slice/user@1000.service"), which only the manager can tell.
  public static func userSystemdPath(_ unit: SystemdUnit) throws(CgroupError) -> String {
    let managerCgroup = try SystemdBusProvider.connect(user: true).managerProperty("ControlGroup")
    return Paths.clean(managerCgroup + unit.path)
  }
}

let EEXIST_: Int32 = 17
let EIO_: Int32 = 5
