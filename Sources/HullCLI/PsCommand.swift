import RuntimeCore

struct PsCommand: HullCommand {
  static let name = "ps"
  static let summary = "list the host pids of a container's processes (--format table|json)"
  static let flags: [Arguments.Flag] = [.init(names: ["format", "f"], takesValue: true)]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    let pids = try ContainerOps(store: context.store).pids(id)
    if args.value("format") == "json" {
      printOut("[" + pids.map(String.init).joined(separator: ",") + "]\n")
    } else {
      printOut("PID\n" + pids.map { "\($0)\n" }.joined())
    }
    return 0
  }
}
