import RuntimeCore

struct PauseCommand: HullCommand {
  static let name = "pause"
  static let summary = "freeze every process of a running container"
  static let flags: [Arguments.Flag] = []

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    try ContainerOps(store: context.store).pause(try containerID(args, command: name), frozen: true)
    return 0
  }
}
