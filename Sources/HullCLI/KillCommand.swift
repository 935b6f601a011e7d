import Glibc
import RuntimeCore

struct KillCommand: HullCommand {
  static let name = "kill"
  static let summary = "send a signal (default SIGTERM) to a container's init, or to all its processes with --all"
  static let flags: [Arguments.Flag] = [.init(names: ["all", "a"], takesValue: false)]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    let text = args.positionals.count > 1 ? args.positionals[1] : "TERM"
    guard let signal = Signals.parse(text) else {
      throw RuntimeError("kill container \(id)", reason: "unknown signal \"\(text)\"", errno: EINVAL)
    }
    try ContainerOps(store: context.store).kill(id, signal: signal, all: args.bool("all"))
    return 0
  }
}
