import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

/// The flags create and run share, and loading the bundle's config.json.
enum CreateOptions {
  static let flags: [Arguments.Flag] = [
    .init(names: ["bundle", "b"], takesValue: true), .init(names: ["pid-file"], takesValue: true),
    .init(names: ["console-socket"], takesValue: true), .init(names: ["no-pivot"], takesValue: false),
    .init(names: ["no-new-keyring"], takesValue: false), .init(names: ["preserve-fds"], takesValue: true),
    .init(names: ["notify-socket"], takesValue: true),
  ]

  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return Paths.clean(path) }
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    return Paths.absolute(path, base: buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
  }

  /// --bundle as its real path: the state records it and `exec` reads config.json from it
  /// later, so re-pointing a symlink given here must not change what exec runs.
  static func bundlePath(_ args: Arguments) -> String {
    let given = args.value("bundle") ?? "."
    // The working directory (runc's default bundle): getcwd's answer has no symlink in it
    // already, so realpath's readlink of every component would add nothing.
    if given == "." || given == "./" {
      let cwd = absolute(".")
      if cwd.hasPrefix("/") { return cwd }
    }
    let path = absolute(given)
    guard let real = realpath(path, nil) else { return path }  // loadSpec names the missing file
    defer { free(real) }
    return String(cString: real)
  }

  /// --preserve-fds N (plus LISTEN_FDS): fds 3…3+N-1 go to the container's process, so each
  /// must be open in the caller (runc stats each one; it checks its own fd table, hull's holds
  /// only the caller's fds at this point). N beyond RLIMIT_NOFILE cannot be all open: refused
  /// before a loop over it.
  static func preservedFds(_ text: String?, listenFds: Int32 = 0, command: String) throws(RuntimeError) -> Int32 {
    var n: Int32 = 0
    if let text {
      guard let value = Int32(text), value >= 0 else {
        throw RuntimeError(command, reason: "--preserve-fds: \"\(text)\" is not a non-negative number", errno: EINVAL)
      }
      n = value
    }
    let (total, overflow) = n.addingReportingOverflow(listenFds)
    var limit = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    if overflow || UInt64(total) + 3 > UInt64(limit.rlim_cur) {
      throw RuntimeError(
        command,
        reason:
          "--preserve-fds \(n)\(listenFds > 0 ? " + LISTEN_FDS \(listenFds)" : ""): more fds than the fd limit (RLIMIT_NOFILE \(limit.rlim_cur)) allows",
        errno: EBADF)
    }
    var fd: Int32 = 3
    while fd < 3 + total {
      if fcntl(fd, F_GETFD) < 0 {
        throw RuntimeError(
          command,
          reason: "--preserve-fds \(n)\(listenFds > 0 ? " + LISTEN_FDS \(listenFds)" : ""): fd \(fd) is not open",
          errno: EBADF)
      }
      fd += 1
    }
    return total
  }

  /// The bundle's config.json, read (at most 16 MiB) and parsed; errors name the command and file.
  static func loadSpec(bundle: String, id: String, command: String) throws(RuntimeError) -> Spec {
    let configPath = bundle + "/config.json"
    let bytes: [UInt8]
    do { bytes = try Files.read(configPath, limit: StateStore.configSizeLimit) } catch {
      throw RuntimeError("\(command) container \(id): read", configPath, reason: error.reason, errno: error.errno)
    }
    do { return try Spec.parse(bytes) } catch {
      throw RuntimeError("\(command) container \(id): load", configPath, reason: error.description, errno: EINVAL)
    }
  }

  static func launch(_ args: Arguments, _ context: Context, command: String) throws(RuntimeError) -> (
    Spec, LaunchOptions
  ) {
    let id = try containerID(args, command: command)
    let bundle = bundlePath(args)
    let spec = try loadSpec(bundle: bundle, id: id, command: command)
    var options = LaunchOptions(id: id, bundle: bundle, stateDir: context.store.directory(id))
    options.pidFile = args.value("pid-file").map(absolute)
    options.consoleSocket = args.value("console-socket").map(absolute)
    options.noPivot = args.bool("no-pivot")
    options.noNewKeyring = args.bool("no-new-keyring")
    options.rootless = context.rootless
    options.systemdCgroup = context.systemdCgroup
    options.seccompCacheDirectory = context.store.seccompCacheDirectory
    // systemd socket activation: LISTEN_FDS fds follow stdio and are passed on like preserved fds.
    let listen = getenv("LISTEN_FDS").flatMap { Int32(String(cString: $0)) } ?? 0
    options.preserveFds = try preservedFds(args.value("preserve-fds"), listenFds: max(listen, 0), command: command)
    // spec.warnings reach the log through the plan (container.warnings): not here, or they print twice.
    return (spec, options)
  }
}
