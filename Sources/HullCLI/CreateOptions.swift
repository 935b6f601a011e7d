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

  static func launch(_ args: Arguments, _ context: Context, command: String) throws(RuntimeError) -> (Spec, LaunchOptions) {
    let id = try containerID(args, command: command)
    let bundle = absolute(args.value("bundle") ?? ".")
    let spec = try loadSpec(bundle: bundle, id: id, command: command)
    var options = LaunchOptions(id: id, bundle: bundle, stateDir: context.store.directory(id))
    options.pidFile = args.value("pid-file").map(absolute)
    options.consoleSocket = args.value("console-socket").map(absolute)
    options.noPivot = args.bool("no-pivot")
    options.noNewKeyring = args.bool("no-new-keyring")
    options.rootless = context.rootless
    if let text = args.value("preserve-fds") {
      guard let n = Int32(text), n >= 0 else {
        throw RuntimeError(command, reason: "--preserve-fds: \"\(text)\" is not a non-negative number", errno: EINVAL)
      }
      options.preserveFds = n
    }
    // systemd socket activation: LISTEN_FDS fds follow stdio and are passed on like preserved fds.
    if let listen = getenv("LISTEN_FDS").map({ String(cString: $0) }), let n = Int32(listen), n > 0 {
      options.preserveFds += n
    }
    // spec.warnings reach the log through the plan (container.warnings): not here, or they print twice.
    return (spec, options)
  }
}
