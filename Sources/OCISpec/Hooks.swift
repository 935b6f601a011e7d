// config.md "hooks": commands the runtime runs at lifecycle points.

public struct Hooks: Sendable, Equatable {
  /// Deprecated by the spec (use createRuntime), still sent by older engines.
  public var prestart: [Hook]
  public var createRuntime: [Hook]
  public var createContainer: [Hook]
  public var startContainer: [Hook]
  public var poststart: [Hook]
  public var poststop: [Hook]

  public init(
    prestart: [Hook] = [], createRuntime: [Hook] = [], createContainer: [Hook] = [],
    startContainer: [Hook] = [], poststart: [Hook] = [], poststop: [Hook] = []
  ) {
    self.prestart = prestart
    self.createRuntime = createRuntime
    self.createContainer = createContainer
    self.startContainer = startContainer
    self.poststart = poststart
    self.poststop = poststop
  }

  init(_ f: Fields) throws(SpecError) {
    prestart = try f.objects("prestart", Hook.init)
    createRuntime = try f.objects("createRuntime", Hook.init)
    createContainer = try f.objects("createContainer", Hook.init)
    startContainer = try f.objects("startContainer", Hook.init)
    poststart = try f.objects("poststart", Hook.init)
    poststop = try f.objects("poststop", Hook.init)
  }

  /// Calls `body` with each list's JSON name and hooks, in lifecycle order (one call
  /// per list, not a tuple array: see Capabilities.forEachSet).
  public func forEachList<E: Error>(_ body: (String, [Hook]) throws(E) -> Void) throws(E) {
    try body("prestart", prestart)
    try body("createRuntime", createRuntime)
    try body("createContainer", createContainer)
    try body("startContainer", startContainer)
    try body("poststart", poststart)
    try body("poststop", poststop)
  }

  public static let names = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
}

public struct Hook: Sendable, Equatable {
  public var path: String
  /// argv including argv[0], as execv(3) takes it.
  public var args: [String]
  /// nil (absent): the hook inherits the runtime's environment, as with runc and crun;
  /// [] is an empty environment.
  public var env: [String]?
  /// Seconds; nil means no timeout.
  public var timeout: Int?

  public init(path: String, args: [String] = [], env: [String]? = nil, timeout: Int? = nil) {
    self.path = path
    self.args = args
    self.env = env
    self.timeout = timeout
  }

  init(_ f: Fields) throws(SpecError) {
    path = try f.requiredString("path")
    args = try f.strings("args")
    env = f.value("env") == nil ? nil : try f.strings("env")
    timeout = try f.integer("timeout")
  }
}
