import RuntimeCore

struct ResumeCommand: HullCommand {
  static let name = "resume"
  static let summary = "thaw a paused container"
  static let flags: [Arguments.Flag] = []

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    try ContainerOps(store: context.store).pause(try containerID(args, command: name), frozen: false)
    return 0
  }
}
