import RuntimeCore

struct StartCommand: HullCommand {
  static let name = "start"
  static let summary = "start a created container"
  static let flags: [Arguments.Flag] = []

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    try ContainerOps(store: context.store).start(id)
    return 0
  }
}
