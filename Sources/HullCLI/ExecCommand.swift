import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

/// `hull exec [options] <id> <command> [args…]` or `--process FILE`, as runc.
struct ExecCommand: HullCommand {
  static let name = "exec"
  static let summary = "run a new process inside a running container"
  static let positionalLimit = 1
  static let flags: [Arguments.Flag] = [
    .init(names: ["process", "p"], takesValue: true), .init(names: ["tty", "t"], takesValue: false),
    .init(names: ["cwd"], takesValue: true), .init(names: ["env", "e"], takesValue: true),
    .init(names: ["user", "u"], takesValue: true), .init(names: ["additional-gids", "g"], takesValue: true),
    .init(names: ["cap", "c"], takesValue: true), .init(names: ["no-new-privs"], takesValue: false),
    .init(names: ["apparmor"], takesValue: true), .init(names: ["process-label"], takesValue: true),
    .init(names: ["preserve-fds"], takesValue: true), .init(names: ["pid-file"], takesValue: true),
    .init(names: ["console-socket"], takesValue: true), .init(names: ["detach", "d"], takesValue: false),
    .init(names: ["ignore-paused"], takesValue: false), .init(names: ["cgroup"], takesValue: true),
  ]

  /// hull's own failures exit 255, as runc's (the process's own status passes through
  /// unchanged); usage errors exit 1, as runc's.
  static let failureStatus: Int32 = 255

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    do { return try exec(id, args, context) } catch {
      context.log.error(error.description)
      return failureStatus
    }
  }

  static func exec(_ id: String, _ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    if args.value("apparmor") != nil || args.value("process-label") != nil {
      throw RuntimeError(
        "exec in container \(id)", reason: "--apparmor/--process-label: no AppArmor or SELinux on this host",
        errno: ENOTSUP)
    }
    // The container's config.json, from the bundle recorded at create.
    let bundle = try context.store.load(id).bundle
    let spec = try CreateOptions.loadSpec(bundle: bundle, id: id, command: "exec in")
    var plan = try ExecPlanner.plan(
      try request(args), id: id, bundle: bundle, spec: spec,
      seccompCacheDirectory: context.store.seccompCacheDirectory, host: LiveHost())
    for warning in plan.warnings { context.log.warning(warning) }
    plan.process.preserveFds = try CreateOptions.preservedFds(args.value("preserve-fds"), command: "exec")
    return try ExecLauncher.exec(id: id, process: plan.process, options: plan.options, store: context.store)
  }

  /// The command line as an ExecRequest; --process FILE read and parsed here.
  static func request(_ args: Arguments) throws(RuntimeError) -> ExecRequest {
    var request = ExecRequest()
    if let file = args.value("process") {
      let path = CreateOptions.absolute(file)
      let bytes: [UInt8]
      do { bytes = try Files.read(path, limit: 4 << 20) } catch {
        throw RuntimeError(error, context: "exec: read process")
      }
      do { request.process = try Process.parse(bytes) } catch {
        throw RuntimeError("exec: load", path, reason: error.description, errno: EINVAL)
      }
    }
    request.command = Array(args.positionals.dropFirst())
    request.tty = args.bool("tty")
    request.cwd = args.value("cwd")
    request.env = args.all("env")
    request.user = args.value("user")
    request.additionalGids = args.all("additional-gids")
    request.capabilities = args.all("cap")
    request.noNewPrivileges = args.bool("no-new-privs")
    request.pidFile = args.value("pid-file").map(CreateOptions.absolute)
    request.consoleSocket = args.value("console-socket").map(CreateOptions.absolute)
    request.detach = args.bool("detach")
    request.ignorePaused = args.bool("ignore-paused")
    request.cgroups = args.all("cgroup")
    return request
  }
}
