import RuntimeCore

struct DeleteCommand: HullCommand {
  static let name = "delete"
  static let summary = "delete a stopped container (--force kills it first)"
  static let flags: [Arguments.Flag] = [.init(names: ["force", "f"], takesValue: false)]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    for warning in try ContainerOps(store: context.store).delete(id, force: args.bool("force")) {
      context.log.warning(warning)
    }
    return 0
  }
}
