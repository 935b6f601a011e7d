import LinuxKit
import RuntimeCore

struct RunCommand: HullCommand {
  static let name = "run"
  static let summary = "create and start a container; wait for it unless --detach"
  static let flags =
    CreateOptions.flags + [
      .init(names: ["detach", "d"], takesValue: false), .init(names: ["keep"], takesValue: false),
    ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    var (spec, options) = try CreateOptions.launch(args, context, command: name)
    let detach = args.bool("detach")
    // terminal: true without --console-socket in the foreground: hull is the terminal's other end.
    var console: ConsoleProxy?
    if spec.process?.terminal == true && options.consoleSocket == nil && !detach {
      console = try ConsoleProxy()
      options.consoleChannel = console!.sender
    }
    // Block the signals we forward before the clone: none is lost, and the init unblocks them.
    if !detach { ForwardedSignals.block() }
    let container = try Launcher.create(spec: spec, options: options, store: context.store, mode: .run)
    for warning in container.warnings { context.log.warning(warning) }
    try console?.receiveMaster()
    let result = try ForegroundRun.run(
      container, ops: ContainerOps(store: context.store), detach: detach,
      keep: args.bool("keep"), console: console)
    for warning in result.warnings { context.log.warning(warning) }
    return result.exitCode
  }
}
