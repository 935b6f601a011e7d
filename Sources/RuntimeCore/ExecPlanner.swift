import Glibc
import LinuxKit
import OCISpec

/// What `hull exec` was asked for, as the command line gave it (HullCLI/ExecCommand parses it).
public struct ExecRequest: Sendable {
  /// --process FILE, parsed: the process as given (the overrides below do not apply, as with runc).
  public var process: Process?
  /// The command and its arguments, run in place of the config's process.args.
  public var command: [String] = []
  public var tty = false
  public var cwd: String?
  /// --env KEY=VALUE, replacing the config's KEY.
  public var env: [String] = []
  /// --user uid[:gid]; "" leaves the config's user.
  public var user: String?
  /// --additional-gids values, each a comma-separated list.
  public var additionalGids: [String] = []
  /// --cap: added to every set but inheritable.
  public var capabilities: [String] = []
  public var noNewPrivileges = false
  public var pidFile: String?
  public var consoleSocket: String?
  public var detach = false
  public var ignorePaused = false
  /// --cgroup [controller[,controller…]:]path values.
  public var cgroups: [String] = []

  public init() {}
}

/// An exec'd process's plan and the launcher's options.
public struct ExecPlan: Sendable {
  public var process: ProcessPlan
  public var options: ExecLauncher.Options
  /// For the log: the seccomp compiler's and the capabilities' warnings.
  public var warnings: [String]
}

/// ExecRequest + the container's config → ExecPlan: the exec counterpart of Planner. It reads
/// the host only through `host`, and the seccomp cache.
public enum ExecPlanner {
  public static func plan<H: HostFacts>(
    _ request: ExecRequest, id: String, bundle: String, spec: Spec,
    seccompCacheDirectory: String?, host: H
  ) throws(RuntimeError) -> ExecPlan {
    let process = try processSpec(request, base: spec.process, id: id)
    let ownConsole = process.terminal && request.consoleSocket == nil && !request.detach
    var plan = try ProcessPlanner.plan(
      process, hasConsole: request.consoleSocket != nil || ownConsole, preserveFds: 0,
      host: host)
    // Exec'd processes get the container's seccomp filter, as with runc.
    var warnings = try ProcessPlanner.addSeccomp(
      spec.linux?.seccomp, to: &plan, cacheDirectory: seccompCacheDirectory,
      state: ContainerState(
        ociVersion: spec.ociVersion, id: id, status: .running, pid: 0, bundle: bundle,
        annotations: spec.annotations))
    warnings += plan.capabilities?.warnings ?? []
    var options = ExecLauncher.Options()
    options.detach = request.detach
    options.pidFile = request.pidFile
    options.consoleSocket = request.consoleSocket
    options.ignorePaused = request.ignorePaused
    options.subCgroups = try subCgroups(request.cgroups)
    return ExecPlan(process: plan, options: options, warnings: warnings)
  }

  /// runc's --cgroup format: [controller[,controller…]:]path, relative to the container's
  /// cgroup; "" stands for every controller.
  static func subCgroups(_ values: [String]) throws(RuntimeError) -> [String: String] {
    var result: [String: String] = [:]
    for value in values {
      let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
      let controllers = parts.count == 2 ? parts[0].split(separator: ",").map(String.init) : [""]
      let path = parts.count == 2 ? parts[1] : parts[0]
      guard !path.isEmpty, !controllers.contains(where: \.isEmpty) || parts.count == 1 else {
        throw RuntimeError(
          "exec", reason: "--cgroup \"\(value)\": expected [controller[,controller]:]path", errno: EINVAL)
      }
      for controller in controllers { result[controller] = path }
    }
    return result
  }

  /// --process as given, or the container's own process with runc's overrides.
  static func processSpec(_ request: ExecRequest, base: Process?, id: String) throws(RuntimeError) -> Process {
    if let process = request.process { return process }
    guard !request.command.isEmpty else {
      throw RuntimeError("exec in container \(id)", reason: "a command is required (or --process FILE)", errno: EINVAL)
    }
    guard var process = base else {
      throw RuntimeError(
        "exec in container \(id)", reason: "the container's config.json has no process to start from", errno: EINVAL)
    }
    process.args = request.command
    process.terminal = request.tty
    if let cwd = request.cwd { process.cwd = cwd }
    for entry in request.env {
      let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
      process.env.removeAll { $0.hasPrefix(key + "=") }
      process.env.append(entry)
    }
    if let user = request.user, !user.isEmpty {  // "" leaves the user as it is, as with runc
      let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map { UInt32($0) }
      guard let uid = parts[0], parts.count == 1 || parts[1] != nil else {
        throw RuntimeError(
          "exec in container \(id)", reason: "--user \"\(user)\": expected uid[:gid] as numbers", errno: EINVAL)
      }
      process.user.uid = uid
      if parts.count > 1 { process.user.gid = parts[1]! }  // else the config's, as runc
      for value in [process.user.uid, process.user.gid] where value > User.maxID {
        throw RuntimeError(
          "exec in container \(id)", reason: "--user \"\(user)\": \(User.outOfRange(value))", errno: EINVAL)
      }
    }
    for gids in request.additionalGids {
      for text in gids.split(separator: ",") {
        guard let gid = UInt32(text) else {
          throw RuntimeError("exec", reason: "--additional-gids: \"\(text)\" is not a number", errno: EINVAL)
        }
        guard gid <= User.maxID else {
          throw RuntimeError("exec", reason: "--additional-gids: \(User.outOfRange(gid))", errno: EINVAL)
        }
        process.user.additionalGids.append(gid)
      }
    }
    if !request.capabilities.isEmpty {
      var set = process.capabilities ?? Capabilities()
      set.bounding += request.capabilities
      set.effective += request.capabilities
      set.permitted += request.capabilities
      set.ambient += request.capabilities
      process.capabilities = set
    }
    if request.noNewPrivileges { process.noNewPrivileges = true }
    return process
  }
}
