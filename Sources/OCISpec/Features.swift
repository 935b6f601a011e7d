// features.md / features-linux.md: what `hull features` prints. Every list is
// optional because the spec gives absent a meaning ("unknown"), distinct from empty.

public struct Features: Sendable {
  public var ociVersionMin: String?
  public var ociVersionMax: String?
  /// Recognized hook names ("createRuntime", ...).
  public var hooks: [String]?
  /// Recognized mount options ("ro", "rbind", ...), not filesystem data options.
  public var mountOptions: [String]?
  public var linux: LinuxFeatures?
  public var annotations: [(key: String, value: String)]
  /// Annotations that may change the runtime's behaviour unsafely; a trailing "." is a prefix.
  public var potentiallyUnsafeConfigAnnotations: [String]?

  public init(
    ociVersionMin: String? = nil, ociVersionMax: String? = nil, hooks: [String]? = nil,
    mountOptions: [String]? = nil, linux: LinuxFeatures? = nil,
    annotations: [(key: String, value: String)] = [], potentiallyUnsafeConfigAnnotations: [String]? = nil
  ) {
    self.ociVersionMin = ociVersionMin
    self.ociVersionMax = ociVersionMax
    self.hooks = hooks
    self.mountOptions = mountOptions
    self.linux = linux
    self.annotations = annotations
    self.potentiallyUnsafeConfigAnnotations = potentiallyUnsafeConfigAnnotations
  }

  /// What this module can parse. Host- and build-dependent entries (seccomp
  /// supportedFlags, cgroup drivers, apparmor, selinux) are the runtime's to adjust.
  public var jsonValue: JSONValue {
    var o = JSONObject()
    o["ociVersionMin"] = ociVersionMin.map(JSONValue.string)
    o["ociVersionMax"] = ociVersionMax.map(JSONValue.string)
    o["hooks"] = hooks.map(stringArray)
    o["mountOptions"] = mountOptions.map(stringArray)
    o["linux"] = linux?.jsonValue
    if !annotations.isEmpty {
      o["annotations"] = .object(JSONObject(annotations.map { ($0.key, .string($0.value)) }))
    }
    o["potentiallyUnsafeConfigAnnotations"] = potentiallyUnsafeConfigAnnotations.map(stringArray)
    return .object(o)
  }

  /// Indented like `runc features`.
  public func json() -> String { JSON.serialize(jsonValue, pretty: true) }
}

public struct LinuxFeatures: Sendable {
  public var namespaces: [String]?
  public var capabilities: [String]?
  public var cgroup: CgroupFeatures?
  public var seccomp: SeccompFeatures?
  /// Written as {"apparmor": {"enabled": ...}}, likewise the other *Enabled fields.
  public var apparmorEnabled: Bool?
  public var selinuxEnabled: Bool?
  public var intelRdt: IntelRdtFeatures?
  /// mountExtensions.idmap.enabled
  public var idmapMountsEnabled: Bool?
  public var netDevicesEnabled: Bool?
  public var memoryPolicy: MemoryPolicyFeatures?

  public init(
    namespaces: [String]? = nil, capabilities: [String]? = nil, cgroup: CgroupFeatures? = nil,
    seccomp: SeccompFeatures? = nil, apparmorEnabled: Bool? = nil, selinuxEnabled: Bool? = nil,
    intelRdt: IntelRdtFeatures? = nil, idmapMountsEnabled: Bool? = nil, netDevicesEnabled: Bool? = nil,
    memoryPolicy: MemoryPolicyFeatures? = nil
  ) {
    self.namespaces = namespaces
    self.capabilities = capabilities
    self.cgroup = cgroup
    self.seccomp = seccomp
    self.apparmorEnabled = apparmorEnabled
    self.selinuxEnabled = selinuxEnabled
    self.intelRdt = intelRdt
    self.idmapMountsEnabled = idmapMountsEnabled
    self.netDevicesEnabled = netDevicesEnabled
    self.memoryPolicy = memoryPolicy
  }

  var jsonValue: JSONValue {
    var o = JSONObject()
    o["namespaces"] = namespaces.map(stringArray)
    o["capabilities"] = capabilities.map(stringArray)
    if let c = cgroup {
      var g = JSONObject()
      g["v1"] = c.v1.map(JSONValue.bool)
      g["v2"] = c.v2.map(JSONValue.bool)
      g["systemd"] = c.systemd.map(JSONValue.bool)
      g["systemdUser"] = c.systemdUser.map(JSONValue.bool)
      g["rdma"] = c.rdma.map(JSONValue.bool)
      o["cgroup"] = .object(g)
    }
    if let s = seccomp {
      var g = JSONObject()
      g["enabled"] = s.enabled.map(JSONValue.bool)
      g["actions"] = s.actions.map(stringArray)
      g["operators"] = s.operators.map(stringArray)
      g["archs"] = s.archs.map(stringArray)
      g["knownFlags"] = s.knownFlags.map(stringArray)
      g["supportedFlags"] = s.supportedFlags.map(stringArray)
      o["seccomp"] = .object(g)
    }
    o["apparmor"] = apparmorEnabled.map(enabled)
    o["selinux"] = selinuxEnabled.map(enabled)
    if let r = intelRdt {
      var g = JSONObject()
      g["enabled"] = r.enabled.map(JSONValue.bool)
      g["schemata"] = r.schemata.map(JSONValue.bool)
      o["intelRdt"] = .object(g)
    }
    if let idmap = idmapMountsEnabled { o["mountExtensions"] = .object(JSONObject([("idmap", enabled(idmap))])) }
    o["netDevices"] = netDevicesEnabled.map(enabled)
    if let m = memoryPolicy {
      var g = JSONObject()
      g["modes"] = m.modes.map(stringArray)
      g["flags"] = m.flags.map(stringArray)
      o["memoryPolicy"] = .object(g)
    }
    return .object(o)
  }
}

public struct CgroupFeatures: Sendable {
  public var v1, v2, systemd, systemdUser, rdma: Bool?
  public init(v1: Bool? = nil, v2: Bool? = nil, systemd: Bool? = nil, systemdUser: Bool? = nil, rdma: Bool? = nil) {
    self.v1 = v1
    self.v2 = v2
    self.systemd = systemd
    self.systemdUser = systemdUser
    self.rdma = rdma
  }
}

public struct SeccompFeatures: Sendable {
  public var enabled: Bool?
  public var actions, operators, archs, knownFlags, supportedFlags: [String]?
  public init(
    enabled: Bool? = nil, actions: [String]? = nil, operators: [String]? = nil, archs: [String]? = nil,
    knownFlags: [String]? = nil, supportedFlags: [String]? = nil
  ) {
    self.enabled = enabled
    self.actions = actions
    self.operators = operators
    self.archs = archs
    self.knownFlags = knownFlags
    self.supportedFlags = supportedFlags
  }
}

public struct IntelRdtFeatures: Sendable {
  public var enabled: Bool?
  /// Whether linux.intelRdt.schemata is implemented (spec 1.3).
  public var schemata: Bool?
  public init(enabled: Bool? = nil, schemata: Bool? = nil) {
    self.enabled = enabled
    self.schemata = schemata
  }
}

public struct MemoryPolicyFeatures: Sendable {
  public var modes, flags: [String]?
  public init(modes: [String]? = nil, flags: [String]? = nil) {
    self.modes = modes
    self.flags = flags
  }
}

/// The mount(8)-style options runc recognises (its `features` list), hull's target set.
public let knownMountOptions = [
  "acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
  "lazytime", "loud", "mand", "noacl", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
  "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
  "rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
  "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw",
  "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent", "slave",
  "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable",
]

func stringArray(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
func enabled(_ on: Bool) -> JSONValue { .object(JSONObject([("enabled", .bool(on))])) }
