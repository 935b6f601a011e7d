// Validation of config-linux.md: namespaces and id maps, devices, seccomp and the
// enumerated settings.

extension Linux {
  public func validate(path: String) throws(SpecError) {
    try validateNamespaces(path)
    for (i, d) in devices.enumerated() {
      let p = "\(join(path, "devices"))[\(i)]"
      switch d.type {
      case "c", "b", "u":
        if d.major == nil {
          throw SpecError(path: "\(p).major", reason: "required for device type \(JSON.quote(d.type))")
        }
        if d.minor == nil {
          throw SpecError(path: "\(p).minor", reason: "required for device type \(JSON.quote(d.type))")
        }
      case "p":
        break  // major and minor are optional and meaningless for a fifo: ignored, as runc and crun do
      default:
        throw SpecError(
          path: "\(p).type", reason: "unknown device type \(JSON.quote(d.type)) (expected \"c\", \"b\", \"u\" or \"p\")"
        )
      }
      // fileMode is not range-checked: generators copy st_mode or Go's os.FileMode,
      // type bits included; the runtime keeps only the permission bits.
      try requireAbsolute(d.path, "\(p).path")
    }
    try resources?.validate(path: join(path, "resources"))
    if let prop = rootfsPropagation, !prop.isEmpty {
      try requireOneOf(prop, rootfsPropagations, join(path, "rootfsPropagation"), "propagation")
    }
    try seccomp?.validate(path: join(path, "seccomp"))
    for s in sysctl where s.key.isEmpty {
      throw SpecError(
        path: join(path, "sysctl"), reason: "a key is empty (expected a name such as net.ipv4.ip_forward)")
    }
    for (i, m) in maskedPaths.enumerated() { try requireAbsolute(m, "\(join(path, "maskedPaths"))[\(i)]") }
    for (i, r) in readonlyPaths.enumerated() { try requireAbsolute(r, "\(join(path, "readonlyPaths"))[\(i)]") }
    if let pers = personality {
      try requireOneOf(pers.domain, personalityDomains, join(path, "personality.domain"), "personality domain")
    }
    if let mp = memoryPolicy {
      let p = join(path, "memoryPolicy")
      try requireOneOf(mp.mode, memoryPolicyModes, "\(p).mode", "memory policy mode")
      for (i, flag) in mp.flags.enumerated() {
        try requireOneOf(flag, memoryPolicyFlags, "\(p).flags[\(i)]", "memory policy flag")
      }
    }
  }

  func validateNamespaces(_ path: String) throws(SpecError) {
    // A bit mask, not a Set: no hashed collection on the start path (see rlimitResource).
    var seen: UInt16 = 0
    for (i, ns) in namespaces.enumerated() {
      let p = "\(join(path, "namespaces"))[\(i)]"
      let bit = ns.type.bit
      defer { seen |= bit }
      guard seen & bit == 0 else {
        throw SpecError(path: "\(p).type", reason: "duplicate namespace \(JSON.quote(ns.type.rawValue))")
      }
      if let nsPath = ns.path, !nsPath.isEmpty { try requireAbsolute(nsPath, "\(p).path") }
    }
    let user = namespace(.user)
    let newUser = user != nil && (user?.path ?? "").isEmpty
    func checkMaps(_ name: String, _ maps: [IDMapping]) throws(SpecError) {
      let p = join(path, name)
      if newUser && maps.isEmpty {
        throw SpecError(
          path: p, reason: "required when a new user namespace is created (or give the user namespace a path to join)")
      }
      if user == nil && !maps.isEmpty {
        throw SpecError(
          path: p, reason: "set, but no user namespace is created (add {\"type\": \"user\"} to linux.namespaces)")
      }
      for (i, m) in maps.enumerated() where m.size == 0 {
        throw SpecError(path: "\(p)[\(i)].size", reason: "must be at least 1")
      }
    }
    try checkMaps("uidMappings", uidMappings)
    try checkMaps("gidMappings", gidMappings)
    if let offsets = timeOffsets {
      let p = join(path, "timeOffsets")
      guard let time = namespace(.time) else {
        throw SpecError(path: p, reason: "requires a time namespace (add {\"type\": \"time\"} to linux.namespaces)")
      }
      if let tp = time.path, !tp.isEmpty {
        throw SpecError(path: p, reason: "cannot be applied when joining an existing time namespace")
      }
      func checkClock(_ clock: String, _ o: TimeOffset?) throws(SpecError) {
        if let o, o.nanosecs >= 1_000_000_000 {
          throw SpecError(path: "\(p).\(clock).nanosecs", reason: "\(o.nanosecs) is not below one second (1000000000)")
        }
      }
      try checkClock("monotonic", offsets.monotonic)
      try checkClock("boottime", offsets.boottime)
    }
  }
}

extension NamespaceKind {
  var bit: UInt16 {
    switch self {
    case .pid: return 1
    case .network: return 2
    case .mount: return 4
    case .ipc: return 8
    case .uts: return 16
    case .user: return 32
    case .cgroup: return 64
    case .time: return 128
    }
  }
}

extension Seccomp {
  public func validate(path: String) throws(SpecError) {
    try requireOneOf(defaultAction, Seccomp.actions, join(path, "defaultAction"), "seccomp action")
    var notify = defaultAction == "SCMP_ACT_NOTIFY"
    for (i, arch) in architectures.enumerated() {
      try requireOneOf(arch, Seccomp.architectureNames, "\(join(path, "architectures"))[\(i)]", "architecture")
    }
    for (i, flag) in flags.enumerated() {
      try requireOneOf(flag, Seccomp.knownFlags, "\(join(path, "flags"))[\(i)]", "seccomp flag")
    }
    for (i, sc) in syscalls.enumerated() {
      let p = "\(join(path, "syscalls"))[\(i)]"
      if sc.names.isEmpty { throw SpecError(path: "\(p).names", reason: "must name at least one system call") }
      for (j, n) in sc.names.enumerated() where n.isEmpty {
        throw SpecError(path: "\(p).names[\(j)]", reason: "must not be empty")
      }
      try requireOneOf(sc.action, Seccomp.actions, "\(p).action", "seccomp action")
      notify = notify || sc.action == "SCMP_ACT_NOTIFY"
      for (j, a) in sc.args.enumerated() {
        if a.index > 5 {
          throw SpecError(path: "\(p).args[\(j)].index", reason: "\(a.index) is not an argument position (0 to 5)")
        }
        try requireOneOf(a.op, Seccomp.operators, "\(p).args[\(j)].op", "seccomp operator")
      }
    }
    if notify && (listenerPath ?? "").isEmpty {
      throw SpecError(
        path: join(path, "listenerPath"),
        reason: "required when SCMP_ACT_NOTIFY is used (the socket that receives the notify fd)")
    }
  }
}
