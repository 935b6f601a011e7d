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
      throw RuntimeError("exec in container \(id)", reason: "--apparmor/--process-label: no AppArmor or SELinux on this host", errno: ENOTSUP)
    }
    // The container's config.json, from the bundle recorded at create.
    let bundle = try context.store.load(id).bundle
    let spec = try CreateOptions.loadSpec(bundle: bundle, id: id, command: "exec in")
    let process = try processSpec(args, base: spec.process, id: id)
    let ownConsole = process.terminal && args.value("console-socket") == nil && !args.bool("detach")
    var plan = try ProcessPlanner.plan(process, hasConsole: args.value("console-socket") != nil || ownConsole, preserveFds: 0)
    // Exec'd processes get the container's seccomp filter, as with runc.
    for warning in try ProcessPlanner.addSeccomp(spec.linux?.seccomp, to: &plan,
                                                           cacheDirectory: context.root + "/.seccomp-cache") { context.log.warning(warning) }
    if plan.seccomp?.usesNotify == true {
      plan.listenerState = ContainerState(ociVersion: spec.ociVersion, id: id, status: .running, pid: 0,
                                          bundle: bundle, annotations: spec.annotations)
    }
    plan.preserveFds = try CreateOptions.preservedFds(args.value("preserve-fds"), command: "exec")
    for warning in plan.capabilities?.warnings ?? [] { context.log.warning(warning) }
    var options = ExecLauncher.Options()
    options.detach = args.bool("detach")
    options.pidFile = args.value("pid-file").map(CreateOptions.absolute)
    options.consoleSocket = args.value("console-socket").map(CreateOptions.absolute)
    options.ignorePaused = args.bool("ignore-paused")
    // runc's format: [controller[,controller…]:]path, relative to the container's cgroup.
    for value in args.all("cgroup") {
      let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
      let controllers = parts.count == 2 ? parts[0].split(separator: ",").map(String.init) : [""]
      let path = parts.count == 2 ? parts[1] : parts[0]
      guard !path.isEmpty, !controllers.contains(where: \.isEmpty) || parts.count == 1 else {
        throw RuntimeError("exec", reason: "--cgroup \"\(value)\": expected [controller[,controller]:]path", errno: EINVAL)
      }
      for controller in controllers { options.subCgroups[controller] = path }
    }
    return try ExecLauncher.exec(id: id, process: plan, options: options, store: context.store)
  }

  /// --process FILE as given, or the container's own process with runc's overrides.
  static func processSpec(_ args: Arguments, base: Process?, id: String) throws(RuntimeError) -> Process {
    if let file = args.value("process") {
      let path = CreateOptions.absolute(file)
      let bytes: [UInt8]
      do { bytes = try Files.read(path, limit: 4 << 20) } catch { throw RuntimeError(error, context: "exec: read process") }
      do { return try Process.parse(bytes) } catch { throw RuntimeError("exec: load", path, reason: error.description, errno: EINVAL) }
    }
    let command = Array(args.positionals.dropFirst())
    guard !command.isEmpty else {
      throw RuntimeError("exec in container \(id)", reason: "a command is required (or --process FILE)", errno: EINVAL)
    }
    guard var process = base else {
      throw RuntimeError("exec in container \(id)", reason: "the container's config.json has no process to start from", errno: EINVAL)
    }
    process.args = command
    process.terminal = args.bool("tty")
    if let cwd = args.value("cwd") { process.cwd = cwd }
    for entry in args.all("env") {
      let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
      process.env.removeAll { $0.hasPrefix(key + "=") }
      process.env.append(entry)
    }
    if let user = args.value("user"), !user.isEmpty {  // "" leaves the user as it is, as with runc
      let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map { UInt32($0) }
      guard let uid = parts[0], parts.count == 1 || parts[1] != nil else {
        throw RuntimeError("exec in container \(id)", reason: "--user \"\(user)\": expected uid[:gid] as numbers", errno: EINVAL)
      }
      process.user.uid = uid
      if parts.count > 1 { process.user.gid = parts[1]! }  // else the config's, as runc
      for value in [process.user.uid, process.user.gid] where value > User.maxID {
        throw RuntimeError("exec in container \(id)", reason: "--user \"\(user)\": \(User.outOfRange(value))", errno: EINVAL)
      }
    }
    for gids in args.all("additional-gids") {
      for text in gids.split(separator: ",") {
        guard let gid = UInt32(text) else { throw RuntimeError("exec", reason: "--additional-gids: \"\(text)\" is not a number", errno: EINVAL) }
        guard gid <= User.maxID else { throw RuntimeError("exec", reason: "--additional-gids: \(User.outOfRange(gid))", errno: EINVAL) }
        process.user.additionalGids.append(gid)
      }
    }
    let caps = args.all("cap")
    if !caps.isEmpty {
      var set = process.capabilities ?? Capabilities()
      set.bounding += caps
      set.effective += caps
      set.permitted += caps
      set.ambient += caps
      process.capabilities = set
    }
    if args.bool("no-new-privs") { process.noNewPrivileges = true }
    return process
  }
}
