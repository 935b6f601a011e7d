// Semantic checks that the JSON types cannot express. Each error names the field and
// says what would be accepted, so a user can fix the config without reading the spec.
// Checks here need no host access: whether a path exists or a namespace can be
// joined is the runtime's business.

extension Spec {
  public func validate() throws(SpecError) {
    let range = "hull supports \(supportedOCIVersionMin) to 1.3.x"
    if ociVersion.isEmpty { throw SpecError(path: "ociVersion", reason: "required field is missing (\(range))") }
    guard isSupportedOCIVersion(ociVersion) else {
      throw SpecError(path: "ociVersion", reason: "unsupported version \(JSON.quote(ociVersion)) (\(range))")
    }
    guard let root else {
      throw SpecError(path: "root", reason: "required field is missing (the container's root filesystem)")
    }
    if root.path.isEmpty { throw SpecError(path: "root.path", reason: "must name the root filesystem directory") }
    try process?.validate(path: "process")
    let uts = linux?.namespace(.uts)
    if let hostname, !hostname.isEmpty, uts == nil {
      throw SpecError(
        path: "hostname",
        reason: "can only be set with a new UTS namespace (add {\"type\": \"uts\"} to linux.namespaces)")
    }
    if let domainname, !domainname.isEmpty, uts == nil {
      throw SpecError(
        path: "domainname",
        reason: "can only be set with a new UTS namespace (add {\"type\": \"uts\"} to linux.namespaces)")
    }
    for (i, m) in mounts.enumerated() where m.destination.isEmpty {
      throw SpecError(path: "mounts[\(i)].destination", reason: "must not be empty")
    }
    if let hooks {
      try hooks.forEachList { (name, list) throws(SpecError) in
        for (i, h) in list.enumerated() {
          let p = "hooks.\(name)[\(i)]"
          try requireAbsolute(h.path, "\(p).path")
          if let t = h.timeout, t <= 0 {
            throw SpecError(path: "\(p).timeout", reason: "must be a positive number of seconds, got \(t)")
          }
        }
      }
    }
    try linux?.validate(path: "linux")
  }
}

extension Process {
  /// `path` is "process" inside a config, "" for an `exec --process` document.
  public func validate(path: String) throws(SpecError) {
    if args.isEmpty {
      throw SpecError(path: join(path, "args"), reason: "must contain at least the program to run")
    }
    try requireAbsolute(cwd, join(path, "cwd"))
    try user.validateIDs(path: join(path, "user"))
    if let umask = user.umask, umask > 0o7777 {
      throw SpecError(path: join(path, "user.umask"), reason: "\(umask) is not a file mode (0 to 4095, i.e. 0o7777)")
    }
    for (i, r) in rlimits.enumerated() {
      let p = "\(join(path, "rlimits"))[\(i)]"
      guard rlimitResource(r.type) != nil else {
        throw SpecError(
          path: "\(p).type", reason: "unknown rlimit \(JSON.quote(r.type)) (expected RLIMIT_AS, RLIMIT_NOFILE, ...)")
      }
      guard !rlimits[..<i].contains(where: { $0.type == r.type }) else {
        throw SpecError(path: "\(p).type", reason: "duplicate rlimit \(JSON.quote(r.type))")
      }
      if r.soft > r.hard {
        throw SpecError(path: "\(p).soft", reason: "soft limit \(r.soft) exceeds hard limit \(r.hard)")
      }
    }
    if let caps = capabilities {
      try caps.forEachSet { (set, names) throws(SpecError) in
        for (i, name) in names.enumerated() where !isCapabilitySyntax(name) {
          throw SpecError(
            path: "\(join(path, "capabilities")).\(set)[\(i)]",
            reason: "invalid capability name \(JSON.quote(name)) (expected CAP_ and upper-case letters, e.g. CAP_KILL)")
        }
      }
    }
    if let adj = oomScoreAdj, adj < -1000 || adj > 1000 {
      throw SpecError(path: join(path, "oomScoreAdj"), reason: "\(adj) is outside the kernel's range -1000 to 1000")
    }
    if let io = ioPriority {
      try requireOneOf(io.class, ioPriorityClasses, join(path, "ioPriority.class"), "I/O priority class")
      if io.priority < 0 || io.priority > 7 {
        throw SpecError(
          path: join(path, "ioPriority.priority"), reason: "\(io.priority) is outside 0 (highest) to 7 (lowest)")
      }
    }
    if let s = scheduler {
      let p = join(path, "scheduler")
      try requireOneOf(s.policy, schedulerPolicies, "\(p).policy", "scheduler policy")
      for (i, flag) in s.flags.enumerated() {
        try requireOneOf(flag, schedulerFlags, "\(p).flags[\(i)]", "scheduler flag")
      }
      if let nice = s.nice, nice < -20 || nice > 19 {
        throw SpecError(path: "\(p).nice", reason: "\(nice) is outside -20 to 19")
      }
    }
  }
}

extension User {
  /// The largest uid or gid a process may take, as runc: setresuid/setresgid read
  /// 4294967295 (-1) as "leave unchanged", so that id would leave the process root.
  public static let maxID: UInt32 = 2_147_483_647

  public func validateIDs(path: String) throws(SpecError) {
    for (field, id) in [("uid", uid), ("gid", gid)] where id > User.maxID {
      throw SpecError(path: join(path, field), reason: User.outOfRange(id))
    }
    for (i, gid) in additionalGids.enumerated() where gid > User.maxID {
      throw SpecError(path: "\(join(path, "additionalGids"))[\(i)]", reason: User.outOfRange(gid))
    }
  }

  public static func outOfRange(_ id: UInt32) -> String {
    "\(id) is outside 0 to \(maxID) (4294967295 is -1, which setresuid/setresgid read as \"unchanged\")"
  }
}

extension Resources {
  /// `path` is "linux.resources" inside a config, "" for an `update --resources` document.
  public func validate(path: String) throws(SpecError) {
    for (i, d) in devices.enumerated() {
      let p = "\(join(path, "devices"))[\(i)]"
      if let t = d.type, t != "a", t != "b", t != "c" {
        throw SpecError(
          path: "\(p).type", reason: "unknown device type \(JSON.quote(t)) (expected \"a\", \"b\" or \"c\")")
      }
      if let access = d.access, !access.allSatisfy({ $0 == "r" || $0 == "w" || $0 == "m" }) {
        throw SpecError(path: "\(p).access", reason: "\(JSON.quote(access)) is not a combination of r, w and m")
      }
    }
    for (i, h) in hugepageLimits.enumerated() where h.pageSize.isEmpty {
      throw SpecError(
        path: "\(join(path, "hugepageLimits"))[\(i)].pageSize", reason: "must not be empty (e.g. \"2MB\")")
    }
    for u in unified {
      let p = join(join(path, "unified"), u.key)
      let lower = u.key.lowercased()
      if lower == "cgroup.procs" || lower == "cgroup.threads" || lower == "cgroup.subtree_control" {
        throw SpecError(path: p, reason: "the runtime manages this file itself; it cannot be set through unified")
      }
      // A '/' would let the key name a file outside the container's cgroup.
      if !u.key.contains(".") || u.key.contains("/") {
        throw SpecError(
          path: p, reason: "not a cgroup v2 interface file name (expected CONTROLLER.FILE, e.g. memory.max)")
      }
    }
  }
}

// MARK: helpers shared by the validation files

func requireAbsolute(_ value: String, _ path: String) throws(SpecError) {
  guard value.hasPrefix("/") else {
    throw SpecError(
      path: path,
      reason: value.isEmpty ? "must be an absolute path" : "must be an absolute path, got \(JSON.quote(value))")
  }
}

func requireOneOf(_ value: String, _ allowed: [String], _ path: String, _ what: String) throws(SpecError) {
  guard allowed.contains(value) else {
    throw SpecError(
      path: path, reason: "unknown \(what) \(JSON.quote(value)) (expected one of \(allowed.joined(separator: ", ")))")
  }
}
