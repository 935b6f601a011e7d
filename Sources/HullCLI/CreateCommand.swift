import RuntimeCore

struct CreateCommand: HullCommand {
  static let name = "create"
  static let summary = "create a container; its process waits until start"
  static let flags = CreateOptions.flags

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let (spec, options) = try CreateOptions.launch(args, context, command: name)
    let container = try Launcher.create(spec: spec, options: options, store: context.store, mode: .create)
    for warning in container.warnings { context.log.warning(warning) }
    return 0
  }
}
