// RuntimeDriver: the runc-style CLI calls of one runtime, with its own --root state directory.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `exec`'s process: arguments, or a process.json text (written to a temporary file for --process).
public enum ExecProcess: Sendable {
  case args([String])
  case processJSON(String)
}

/// Every call returns the ProcessResult (exit status, output, wall/CPU time) and throws only when the runtime
/// cannot be spawned: a non-zero exit is for the caller to judge.
public struct RuntimeDriver: Sendable {
  public var runtime: RuntimeUnderTest
  /// Passed as --root.
  public var stateRoot: String
  /// Seconds, per call.
  public var timeout: Double
  /// nil: inherit the test-bed's.
  public var environment: [String]?
  /// Put before the runtime's path, e.g. a measuring wrapper.
  public var launcher: [String] = []

  /// Creates stateRoot (mode 0700) if missing.
  public init(runtime: RuntimeUnderTest, stateRoot: String, timeout: Double = 30, environment: [String]? = nil) {
    self.runtime = runtime
    self.stateRoot = stateRoot
    self.timeout = timeout
    self.environment = environment
    try? FileManager.default.createDirectory(
      atPath: stateRoot, withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700])
  }

  /// The full argv: launcher + path + extraGlobalArgs + --root + args.
  public func command(_ args: [String]) -> [String] {
    launcher + [runtime.path] + runtime.extraGlobalArgs + ["--root", stateRoot] + args
  }

  public func invoke(
    _ args: [String], input: ProcessInput = .null, stdout: ProcessOutput = .pipe,
    stderr: ProcessOutput = .pipe, timeout: Double? = nil
  ) throws -> ProcessResult {
    try ProcessRunner.run(
      command(args), environment: environment, input: input, stdout: stdout, stderr: stderr,
      timeout: timeout ?? self.timeout)
  }

  public func create(
    id: String, bundle: String, pidFile: String? = nil, consoleSocket: String? = nil,
    extraArgs: [String] = []
  ) throws -> ProcessResult {
    var args = ["create", "--bundle", bundle]
    if let pidFile { args += ["--pid-file", pidFile] }
    if let consoleSocket { args += ["--console-socket", consoleSocket] }
    return try invoke(args + extraArgs + [id])
  }

  public func start(id: String) throws -> ProcessResult { try invoke(["start", id]) }

  public func run(
    id: String, bundle: String, detach: Bool = false, pidFile: String? = nil,
    consoleSocket: String? = nil, extraArgs: [String] = []
  ) throws -> ProcessResult {
    var args = ["run", "--bundle", bundle]
    if detach { args.append("--detach") }
    if let pidFile { args += ["--pid-file", pidFile] }
    if let consoleSocket { args += ["--console-socket", consoleSocket] }
    return try invoke(args + extraArgs + [id])
  }

  public func state(id: String) throws -> ProcessResult { try invoke(["state", id]) }

  /// `state` and its stdout parsed as a JSON object (nil when the call failed or printed no object).
  public func stateObject(id: String) throws -> (ProcessResult, [String: Any]?) {
    let result = try state(id: id)
    return (result, result.succeeded ? result.jsonObject() as? [String: Any] : nil)
  }

  /// signal: a name ("KILL", "SIGKILL") or a number ("9").
  public func kill(id: String, signal: String = "TERM", all: Bool = false) throws -> ProcessResult {
    try invoke(["kill"] + (all ? ["--all"] : []) + [id, signal])
  }

  public func delete(id: String, force: Bool = false) throws -> ProcessResult {
    try invoke(["delete"] + (force ? ["--force"] : []) + [id])
  }

  public func exec(
    id: String, process: ExecProcess, detach: Bool = false, pidFile: String? = nil,
    extraArgs: [String] = []
  ) throws -> ProcessResult {
    var args = ["exec"]
    if detach { args.append("--detach") }
    if let pidFile { args += ["--pid-file", pidFile] }
    args += extraArgs
    switch process {
    case .args(let command):
      return try invoke(args + [id] + command)
    case .processJSON(let json):
      let file = stateRoot + "/.drydock-exec-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
      guard FileManager.default.createFile(atPath: file, contents: Data(json.utf8)) else {
        throw HarnessError(.kit, operation: "write exec process.json", path: file, message: "cannot create file")
      }
      defer { unlink(file) }
      return try invoke(args + ["--process", file, id])
    }
  }

  public func pause(id: String) throws -> ProcessResult { try invoke(["pause", id]) }
  public func resume(id: String) throws -> ProcessResult { try invoke(["resume", id]) }

  public func ps(id: String, format: String = "json") throws -> ProcessResult {
    try invoke(["ps", "--format", format, id])
  }

  /// The resources go through `--resources -` on stdin.
  public func update(id: String, resourcesJSON: String) throws -> ProcessResult {
    try invoke(["update", "--resources", "-", id], input: .bytes(Array(resourcesJSON.utf8)))
  }

  /// Without stats the runtime streams: set a short timeout.
  public func events(id: String, stats: Bool = true, interval: String? = nil) throws -> ProcessResult {
    var args = ["events"]
    if stats { args.append("--stats") }
    if let interval { args += ["--interval", interval] }
    return try invoke(args + [id])
  }

  public func features() throws -> ProcessResult { try invoke(["features"]) }

  public func list(format: String = "json") throws -> ProcessResult { try invoke(["list", "--format", format]) }
}
