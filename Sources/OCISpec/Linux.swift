// config-linux.md: namespaces, id maps, devices and the other per-container kernel
// settings. Resources and seccomp have their own files.

public struct Linux: Sendable {
  public var namespaces: [Namespace]
  public var uidMappings: [IDMapping]
  public var gidMappings: [IDMapping]
  public var timeOffsets: TimeOffsets?
  public var devices: [Device]
  /// Network interfaces moved into the container, host name → settings (spec 1.2).
  public var netDevices: [(key: String, value: NetDevice)]
  public var cgroupsPath: String?
  public var resources: Resources?
  public var rootfsPropagation: String?
  public var seccomp: Seccomp?
  /// In document order: the kernel applies them in the order written.
  public var sysctl: [(key: String, value: String)]
  public var maskedPaths: [String]
  public var readonlyPaths: [String]
  public var mountLabel: String?
  public var intelRdt: IntelRdt?
  public var personality: Personality?
  public var memoryPolicy: MemoryPolicy?

  public init(
    namespaces: [Namespace] = [], uidMappings: [IDMapping] = [], gidMappings: [IDMapping] = [],
    timeOffsets: TimeOffsets? = nil, devices: [Device] = [], netDevices: [(key: String, value: NetDevice)] = [],
    cgroupsPath: String? = nil, resources: Resources? = nil, rootfsPropagation: String? = nil,
    seccomp: Seccomp? = nil, sysctl: [(key: String, value: String)] = [], maskedPaths: [String] = [],
    readonlyPaths: [String] = [], mountLabel: String? = nil, intelRdt: IntelRdt? = nil,
    personality: Personality? = nil, memoryPolicy: MemoryPolicy? = nil
  ) {
    self.namespaces = namespaces
    self.uidMappings = uidMappings
    self.gidMappings = gidMappings
    self.timeOffsets = timeOffsets
    self.devices = devices
    self.netDevices = netDevices
    self.cgroupsPath = cgroupsPath
    self.resources = resources
    self.rootfsPropagation = rootfsPropagation
    self.seccomp = seccomp
    self.sysctl = sysctl
    self.maskedPaths = maskedPaths
    self.readonlyPaths = readonlyPaths
    self.mountLabel = mountLabel
    self.intelRdt = intelRdt
    self.personality = personality
    self.memoryPolicy = memoryPolicy
  }

  init(_ f: Fields) throws(SpecError) {
    namespaces = try f.objects("namespaces", Namespace.init)
    uidMappings = try f.objects("uidMappings", IDMapping.init)
    gidMappings = try f.objects("gidMappings", IDMapping.init)
    timeOffsets = try f.object("timeOffsets").map { (t) throws(SpecError) in try TimeOffsets(t) }
    devices = try f.objects("devices", Device.init)
    netDevices = try f.objectMap("netDevices") { (d) throws(SpecError) in NetDevice(name: try d.string("name")) }
    cgroupsPath = try f.string("cgroupsPath")
    resources = try f.object("resources").map { (r) throws(SpecError) in try Resources(r) }
    rootfsPropagation = try f.string("rootfsPropagation")
    seccomp = try f.object("seccomp").map { (s) throws(SpecError) in try Seccomp(s) }
    sysctl = try f.stringMap("sysctl")
    maskedPaths = try f.strings("maskedPaths")
    readonlyPaths = try f.strings("readonlyPaths")
    mountLabel = try f.string("mountLabel")
    intelRdt = try f.object("intelRdt").map { (r) throws(SpecError) in try IntelRdt(r) }
    if let p = try f.object("personality") {
      personality = Personality(domain: try p.requiredString("domain"), flags: try p.strings("flags"))
    }
    if let m = try f.object("memoryPolicy") {
      memoryPolicy = MemoryPolicy(
        mode: try m.requiredString("mode"), nodes: try m.string("nodes"), flags: try m.strings("flags"))
    }
  }

  /// The namespace entry of a kind, if the config lists one.
  public func namespace(_ kind: NamespaceKind) -> Namespace? {
    namespaces.first { $0.type == kind }
  }
}

public enum NamespaceKind: String, Sendable, CaseIterable {
  case pid, network, mount, ipc, uts, user, cgroup, time
}

public struct Namespace: Sendable, Equatable {
  public var type: NamespaceKind
  /// Join this namespace (e.g. /proc/1234/ns/net) instead of creating one.
  public var path: String?
  public init(type: NamespaceKind, path: String? = nil) {
    self.type = type
    self.path = path
  }

  init(_ f: Fields) throws(SpecError) {
    let name = try f.requiredString("type")
    guard let kind = NamespaceKind(rawValue: name) else {
      let known = NamespaceKind.allCases.map(\.rawValue).joined(separator: ", ")
      throw SpecError(path: f.at("type"), reason: "unknown namespace type \(JSON.quote(name)) (known: \(known))")
    }
    type = kind
    path = try f.string("path")
  }
}

/// Offsets of the clocks a new time namespace shows (spec 1.1).
public struct TimeOffsets: Sendable, Equatable {
  public var monotonic: TimeOffset?
  public var boottime: TimeOffset?
  public init(monotonic: TimeOffset? = nil, boottime: TimeOffset? = nil) {
    self.monotonic = monotonic
    self.boottime = boottime
  }

  init(_ f: Fields) throws(SpecError) {
    for e in f.object.entries where e.key != "monotonic" && e.key != "boottime" {
      // An unknown clock would otherwise be silently dropped; the kernel only has these two.
      throw SpecError(path: f.at(e.key), reason: "unknown clock (time namespaces offset only monotonic and boottime)")
    }
    func offset(_ key: String) throws(SpecError) -> TimeOffset? {
      guard let o = try f.object(key) else { return nil }
      return TimeOffset(secs: try o.integer("secs") ?? 0, nanosecs: try o.integer("nanosecs") ?? 0)
    }
    monotonic = try offset("monotonic")
    boottime = try offset("boottime")
  }
}

public struct TimeOffset: Sendable, Equatable {
  public var secs: Int64
  public var nanosecs: UInt32
  public init(secs: Int64, nanosecs: UInt32 = 0) {
    self.secs = secs
    self.nanosecs = nanosecs
  }
}

/// A device node to create in the container.
public struct Device: Sendable, Equatable {
  /// "c", "b", "u" or "p".
  public var type: String
  public var path: String
  /// Required except for "p" (a fifo).
  public var major: Int64?
  public var minor: Int64?
  public var fileMode: UInt32?
  public var uid: UInt32?
  public var gid: UInt32?

  public init(
    type: String, path: String, major: Int64? = nil, minor: Int64? = nil,
    fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil
  ) {
    self.type = type
    self.path = path
    self.major = major
    self.minor = minor
    self.fileMode = fileMode
    self.uid = uid
    self.gid = gid
  }

  init(_ f: Fields) throws(SpecError) {
    type = try f.requiredString("type")
    path = try f.requiredString("path")
    major = try f.integer("major")
    minor = try f.integer("minor")
    fileMode = try f.integer("fileMode")
    uid = try f.integer("uid")
    gid = try f.integer("gid")
  }
}

public struct NetDevice: Sendable, Equatable {
  /// The interface name inside the container; nil keeps the host name.
  public var name: String?
  public init(name: String? = nil) { self.name = name }
}

/// Intel RDT (resctrl) class of service and monitoring.
public struct IntelRdt: Sendable, Equatable {
  public var closID: String?
  /// Written as-is to the resctrl schemata file (spec 1.3); overrides the two schemas below.
  public var schemata: String?
  public var l3CacheSchema: String?
  public var memBwSchema: String?
  public var enableCMT: Bool?
  public var enableMBM: Bool?
  /// Spec 1.3 replacement of enableCMT/enableMBM.
  public var enableMonitoring: Bool?

  public init(
    closID: String? = nil, schemata: String? = nil, l3CacheSchema: String? = nil, memBwSchema: String? = nil,
    enableCMT: Bool? = nil, enableMBM: Bool? = nil, enableMonitoring: Bool? = nil
  ) {
    self.closID = closID
    self.schemata = schemata
    self.l3CacheSchema = l3CacheSchema
    self.memBwSchema = memBwSchema
    self.enableCMT = enableCMT
    self.enableMBM = enableMBM
    self.enableMonitoring = enableMonitoring
  }

  init(_ f: Fields) throws(SpecError) {
    closID = try f.string("closID")
    // The spec has one string; some tools write one line per element: accept both.
    if case .array? = f.value("schemata") {
      schemata = try f.strings("schemata").joined(separator: "\n")
    } else {
      schemata = try f.string("schemata")
    }
    l3CacheSchema = try f.string("l3CacheSchema")
    memBwSchema = try f.string("memBwSchema")
    enableCMT = try f.bool("enableCMT")
    enableMBM = try f.bool("enableMBM")
    enableMonitoring = try f.bool("enableMonitoring")
  }
}

public struct Personality: Sendable, Equatable {
  /// "LINUX" or "LINUX32".
  public var domain: String
  public var flags: [String]
  public init(domain: String, flags: [String] = []) {
    self.domain = domain
    self.flags = flags
  }
}

/// set_mempolicy(2) for the container process (spec 1.3).
public struct MemoryPolicy: Sendable, Equatable {
  /// MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, ...
  public var mode: String
  /// A node list such as "0-3,7".
  public var nodes: String?
  public var flags: [String]
  public init(mode: String, nodes: String? = nil, flags: [String] = []) {
    self.mode = mode
    self.nodes = nodes
    self.flags = flags
  }
}
