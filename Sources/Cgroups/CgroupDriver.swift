/// What differs between cgroup v1 and v2 for one container's cgroup. CgroupSet picks the
/// driver from the host's mode (v1 and hybrid: V1Driver, which also uses the unified
/// directory on hybrid hosts; unified: V2Driver). Both only touch files below the
/// host's mount points, so a temp-dir fake cgroupfs exercises them completely. A cgroup
/// a systemd unit holds gets SystemdDriver, which wraps the one of the host's mode.
public protocol CgroupDriver: Sendable {
  var cgroup: CgroupSet { get }
  /// Writes every set field of `limits`; `update` is true for `hull update` on a live
  /// container (memory checkBeforeUpdate, keeping the current quota/limit where a file
  /// combines two fields).
  func apply(_ limits: CgroupLimits, update: Bool) throws(CgroupError)
  /// Called by CgroupSet.create after the directories exist (v2: enable controllers).
  func prepare() throws(CgroupError)
  func setFrozen(_ frozen: Bool) throws(CgroupError)
  var isFrozen: Bool { get }
  func stats() -> CgroupStats
  /// A pollable source of OOM notifications for this cgroup.
  func watchOOM() throws(CgroupError) -> OOMWatcher
}

extension CgroupSet {
  public var driver: any CgroupDriver { systemdDriver ?? filesDriver }

  /// The driver of the host's mode, writing the cgroup's files.
  var filesDriver: any CgroupDriver { host.mode == .unified ? V2Driver(cgroup: self) : V1Driver(cgroup: self) }

  /// Writes every limit of `limits` (create).
  public func apply(_ limits: CgroupLimits) throws(CgroupError) { try driver.apply(limits, update: false) }

  /// Writes the set fields of `limits` into a live container's cgroup (`hull update`);
  /// returns warnings (a property the container's systemd cannot take).
  @discardableResult
  public func update(_ limits: CgroupLimits) throws(CgroupError) -> [String] {
    if let systemd = systemdDriver { return try systemd.update(limits) }
    try driver.apply(limits, update: true)
    return []
  }

  /// Freezes (pause) or thaws (resume) every task; waits until the kernel reports frozen.
  public func setFrozen(_ frozen: Bool) throws(CgroupError) { try driver.setFrozen(frozen) }

  public var isFrozen: Bool { driver.isFrozen }

  public func stats() -> CgroupStats { driver.stats() }

  public func watchOOM() throws(CgroupError) -> OOMWatcher { try driver.watchOOM() }
}
