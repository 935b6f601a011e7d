import RuntimeCore

struct StateCommand: HullCommand {
  static let name = "state"
  static let summary = "print the state of a container as JSON"
  static let flags: [Arguments.Flag] = []

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    printOut(try ContainerOps(store: context.store).state(id).json(pretty: true) + "\n")
    return 0
  }
}
