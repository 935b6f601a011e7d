// RuntimeDriver: the runc-style CLI calls of one runtime, with its own --root state directory.
//
// Public API:
//   struct RuntimeDriver: Sendable
//     runtime: RuntimeUnderTest; stateRoot: String (passed as --root); timeout: Double (seconds, per call)
//     environment: [String]?  (nil: inherit the test-bed's)
//     launcher: [String]  (default []) put before the runtime's path, e.g. a measuring wrapper
//     init(runtime:stateRoot:timeout: = 30, environment: = nil)   creates stateRoot (mode 0700) if missing
//     command(_ args: [String]) -> [String]       full argv: launcher + path + extraGlobalArgs + --root + args
//     invoke(_ args:, input: .null, stdout: .pipe, stderr: .pipe, timeout: nil) throws -> ProcessResult
//     create(id:bundle:pidFile: = nil, consoleSocket: = nil, extraArgs: = [])
//     start(id:)
//     run(id:bundle:detach: = false, pidFile: = nil, consoleSocket: = nil, extraArgs: = [])
//     state(id:) ; stateObject(id:) -> (ProcessResult, [String: Any]?)  parsed `state` JSON
//     kill(id:signal: = "TERM", all: = false)       signal as a name ("KILL", "SIGKILL") or number ("9")
//     delete(id:force: = false)
//     exec(id:process: ExecProcess, detach: = false, pidFile: = nil, extraArgs: = [])
//        enum ExecProcess { case args([String]); case processJSON(String) }   JSON goes to a temp file for --process
//     pause(id:) ; resume(id:) ; ps(id:format: = "json") ; update(id:resourcesJSON:)  (via `--resources -` on stdin)
//     events(id:stats: = true, interval: = nil)     without stats the runtime streams: set a short timeout
//     features() ; list(format: = "json")
// Every call returns the ProcessResult (exit status, output, wall/CPU time) and throws only when the runtime
// cannot be spawned: a non-zero exit is for the caller to judge.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ExecProcess: Sendable {
  case args([String])
  case processJSON(String)
}

public struct RuntimeDriver: Sendable {
  public var runtime: RuntimeUnderTest
  public var stateRoot: String
  public var timeout: Double
  public var environment: [String]?
  public var launcher: [String] = []

  public init(runtime: RuntimeUnderTest, stateRoot: String, timeout: Double = 30, environment: [String]? = nil) {
    self.runtime = runtime
    self.stateRoot = stateRoot
    self.timeout = timeout
    self.environment = environment
    try? FileManager.default.createDirectory(atPath: stateRoot, withIntermediateDirectories: true,
                                             attributes: [.posixPermissions: 0o700])
  }

  public func command(_ args: [String]) -> [String] {
    launcher + [runtime.path] + runtime.extraGlobalArgs + ["--root", stateRoot] + args
  }

  public func invoke(_ args: [String], input: ProcessInput = .null, stdout: ProcessOutput = .pipe,
                     stderr: ProcessOutput = .pipe, timeout: Double? = nil) throws -> ProcessResult {
    try ProcessRunner.run(command(args), environment: environment, input: input, stdout: stdout, stderr: stderr,
                          timeout: timeout ?? self.timeout)
  }

  public func create(id: String, bundle: String, pidFile: String? = nil, consoleSocket: String? = nil,
                     extraArgs: [String] = []) throws -> ProcessResult {
    var args = ["create", "--bundle", bundle]
    if let pidFile { args += ["--pid-file", pidFile] }
    if let consoleSocket { args += ["--console-socket", consoleSocket] }
    return try invoke(args + extraArgs + [id])
  }

  public func start(id: String) throws -> ProcessResult { try invoke(["start", id]) }

  public func run(id: String, bundle: String, detach: Bool = false, pidFile: String? = nil,
                  consoleSocket: String? = nil, extraArgs: [String] = []) throws -> ProcessResult {
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

  public func kill(id: String, signal: String = "TERM", all: Bool = false) throws -> ProcessResult {
    try invoke(["kill"] + (all ? ["--all"] : []) + [id, signal])
  }

  public func delete(id: String, force: Bool = false) throws -> ProcessResult {
    try invoke(["delete"] + (force ? ["--force"] : []) + [id])
  }

  public func exec(id: String, process: ExecProcess, detach: Bool = false, pidFile: String? = nil,
                   extraArgs: [String] = []) throws -> ProcessResult {
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

  public func update(id: String, resourcesJSON: String) throws -> ProcessResult {
    try invoke(["update", "--resources", "-", id], input: .bytes(Array(resourcesJSON.utf8)))
  }

  public func events(id: String, stats: Bool = true, interval: String? = nil) throws -> ProcessResult {
    var args = ["events"]
    if stats { args.append("--stats") }
    if let interval { args += ["--interval", interval] }
    return try invoke(args + [id])
  }

  public func features() throws -> ProcessResult { try invoke(["features"]) }

  public func list(format: String = "json") throws -> ProcessResult { try invoke(["list", "--format", format]) }
}
