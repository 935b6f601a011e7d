// config.md "process": what runs in the container. Also the document of
// `hull exec --process FILE`, hence its own parse entry point.

public struct Process: Sendable, Equatable {
  public var terminal: Bool
  public var consoleSize: ConsoleSize?
  public var user: User
  public var args: [String]
  /// Windows only; kept so a config round-trips.
  public var commandLine: String?
  public var env: [String]
  public var cwd: String
  public var capabilities: Capabilities?
  public var rlimits: [Rlimit]
  public var noNewPrivileges: Bool
  public var apparmorProfile: String?
  public var oomScoreAdj: Int?
  public var selinuxLabel: String?
  public var ioPriority: IOPriority?
  public var scheduler: Scheduler?
  public var execCPUAffinity: ExecCPUAffinity?

  public init(
    terminal: Bool = false, consoleSize: ConsoleSize? = nil, user: User = User(), args: [String] = [],
    commandLine: String? = nil, env: [String] = [], cwd: String = "/", capabilities: Capabilities? = nil,
    rlimits: [Rlimit] = [], noNewPrivileges: Bool = false, apparmorProfile: String? = nil,
    oomScoreAdj: Int? = nil, selinuxLabel: String? = nil, ioPriority: IOPriority? = nil,
    scheduler: Scheduler? = nil, execCPUAffinity: ExecCPUAffinity? = nil
  ) {
    self.terminal = terminal
    self.consoleSize = consoleSize
    self.user = user
    self.args = args
    self.commandLine = commandLine
    self.env = env
    self.cwd = cwd
    self.capabilities = capabilities
    self.rlimits = rlimits
    self.noNewPrivileges = noNewPrivileges
    self.apparmorProfile = apparmorProfile
    self.oomScoreAdj = oomScoreAdj
    self.selinuxLabel = selinuxLabel
    self.ioPriority = ioPriority
    self.scheduler = scheduler
    self.execCPUAffinity = execCPUAffinity
  }

  /// Parses, maps and validates a process.json (`exec --process`). Error paths are
  /// relative to the document ("args", "rlimits[0].type").
  public static func parse(_ bytes: [UInt8]) throws(SpecError) -> Process {
    let value: JSONValue
    do throws(JSONError) { value = try JSON.parse(bytes) } catch { throw SpecError.json(error) }
    let p = try Process(json: value, path: "")
    try p.validate(path: "")
    return p
  }

  /// Maps a "process" object; `path` prefixes error paths ("process" inside a config).
  public init(json: JSONValue, path: String = "process") throws(SpecError) {
    let f = try Fields(json, path: path)
    terminal = try f.bool("terminal") ?? false
    if let c = try f.object("consoleSize") {
      consoleSize = ConsoleSize(height: try c.integer("height") ?? 0, width: try c.integer("width") ?? 0)
    }
    user = User()
    if let u = try f.object("user") {
      user = User(
        uid: try u.integer("uid") ?? 0, gid: try u.integer("gid") ?? 0, umask: try u.integer("umask"),
        additionalGids: try u.integers("additionalGids"), username: try u.string("username"))
    }
    args = try f.strings("args")
    commandLine = try f.string("commandLine")
    env = try f.strings("env")
    cwd = try f.string("cwd") ?? ""
    if let c = try f.object("capabilities") {
      capabilities = Capabilities(
        bounding: try c.strings("bounding"), effective: try c.strings("effective"),
        inheritable: try c.strings("inheritable"), permitted: try c.strings("permitted"),
        ambient: try c.strings("ambient"))
    }
    rlimits = try f.objects("rlimits") { (r) throws(SpecError) in
      Rlimit(
        type: try r.requiredString("type"), hard: try r.requiredInteger("hard"), soft: try r.requiredInteger("soft"))
    }
    noNewPrivileges = try f.bool("noNewPrivileges") ?? false
    apparmorProfile = try f.string("apparmorProfile")
    oomScoreAdj = try f.integer("oomScoreAdj")
    selinuxLabel = try f.string("selinuxLabel")
    if let io = try f.object("ioPriority") {
      ioPriority = IOPriority(class: try io.requiredString("class"), priority: try io.integer("priority") ?? 0)
    }
    if let s = try f.object("scheduler") {
      scheduler = Scheduler(
        policy: try s.requiredString("policy"), nice: try s.integer("nice"), priority: try s.integer("priority"),
        flags: try s.strings("flags"), runtime: try s.integer("runtime"), deadline: try s.integer("deadline"),
        period: try s.integer("period"))
    }
    if let a = try f.object("execCPUAffinity") {
      execCPUAffinity = ExecCPUAffinity(initial: try a.string("initial"), final: try a.string("final"))
    }
  }
}

public struct ConsoleSize: Sendable, Equatable {
  /// unsigned short in struct winsize, so wider values are rejected when mapping.
  public var height: UInt16
  public var width: UInt16
  public init(height: UInt16, width: UInt16) {
    self.height = height
    self.width = width
  }
}

public struct User: Sendable, Equatable {
  public var uid: UInt32
  public var gid: UInt32
  public var umask: UInt32?
  public var additionalGids: [UInt32]
  /// Windows only.
  public var username: String?

  public init(
    uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32] = [], username: String? = nil
  ) {
    self.uid = uid
    self.gid = gid
    self.umask = umask
    self.additionalGids = additionalGids
    self.username = username
  }
}

/// Capability names as written ("CAP_KILL"); an absent set reads as empty.
public struct Capabilities: Sendable, Equatable {
  public var bounding: [String]
  public var effective: [String]
  public var inheritable: [String]
  public var permitted: [String]
  public var ambient: [String]

  public init(
    bounding: [String] = [], effective: [String] = [], inheritable: [String] = [],
    permitted: [String] = [], ambient: [String] = []
  ) {
    self.bounding = bounding
    self.effective = effective
    self.inheritable = inheritable
    self.permitted = permitted
    self.ambient = ambient
  }

  /// Calls `body` with each set's JSON name and names. A call per set rather than a
  /// tuple array: tuple-array metadata is built at run time on first use (start path).
  public func forEachSet<E: Error>(_ body: (String, [String]) throws(E) -> Void) throws(E) {
    try body("bounding", bounding)
    try body("effective", effective)
    try body("inheritable", inheritable)
    try body("permitted", permitted)
    try body("ambient", ambient)
  }
}

public struct Rlimit: Sendable, Equatable {
  /// "RLIMIT_NOFILE"; `knownRlimits` maps it to the resource number.
  public var type: String
  public var hard: UInt64
  public var soft: UInt64
  public init(type: String, hard: UInt64, soft: UInt64) {
    self.type = type
    self.hard = hard
    self.soft = soft
  }
}

public struct IOPriority: Sendable, Equatable {
  /// IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE.
  public var `class`: String
  /// 0 (highest) to 7.
  public var priority: Int32
  public init(class: String, priority: Int32) {
    self.class = `class`
    self.priority = priority
  }
}

/// sched_setattr(2) attributes; numbers stay optional so "unset" differs from 0.
public struct Scheduler: Sendable, Equatable {
  public var policy: String
  public var nice: Int32?
  public var priority: Int32?
  public var flags: [String]
  public var runtime: UInt64?
  public var deadline: UInt64?
  public var period: UInt64?

  public init(
    policy: String, nice: Int32? = nil, priority: Int32? = nil, flags: [String] = [],
    runtime: UInt64? = nil, deadline: UInt64? = nil, period: UInt64? = nil
  ) {
    self.policy = policy
    self.nice = nice
    self.priority = priority
    self.flags = flags
    self.runtime = runtime
    self.deadline = deadline
    self.period = period
  }
}

/// CPU lists ("0-3,7") for the process before and after it execs (spec 1.2).
public struct ExecCPUAffinity: Sendable, Equatable {
  public var initial: String?
  public var final: String?
  public init(initial: String? = nil, final: String? = nil) {
    self.initial = initial
    self.final = final
  }
}
