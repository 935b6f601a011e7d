import Glibc
import LinuxKit
import RuntimeCore

/// Global state of one hull invocation.
struct Context {
  var root = "/run/hull"
  var log = Log()
  var systemdCgroup = false
  /// --rootless true|false|auto (auto: the caller is not root).
  var rootless = false
  var store: StateStore { StateStore(root: root) }
}

/// One runc-compatible subcommand: its flags and what it does. Each lives in its own file.
protocol HullCommand {
  static var name: String { get }
  static var summary: String { get }
  static var flags: [Arguments.Flag] { get }
  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32
  /// Positionals after which flags are no longer parsed (exec: the id, then the command's own argv).
  static var positionalLimit: Int { get }
}

extension HullCommand {
  static var positionalLimit: Int { Int.max }
}

public enum HullMain {
  static let version = "0.1.0"
  static var commands: [any HullCommand.Type] {
    [
      CreateCommand.self, StartCommand.self, RunCommand.self, StateCommand.self, KillCommand.self,
      DeleteCommand.self, ExecCommand.self, ListCommand.self, PauseCommand.self, ResumeCommand.self, PsCommand.self,
      SpecCommand.self, FeaturesCommand.self, UpdateCommand.self, EventsCommand.self, CheckpointCommand.self,
      RestoreCommand.self,
    ]
  }

  /// Which of them take a value is self_exe.c's knowledge (its constructor skips them before
  /// main runs): asked there, not repeated here.
  static let globalFlags: [Arguments.Flag] = [
    ["root"], ["log"], ["log-format"], ["debug"], ["systemd-cgroup"], ["rootless"], ["criu"], ["version", "v"],
    ["help", "h"],
  ].map { names in Arguments.Flag(names: names, takesValue: SelfExe.globalFlagTakesValue(names[0])) }

  public static func exit() -> Never {
    SelfExe.forgetBacktraceSetting()
    Glibc.exit(main(Array(CommandLine.arguments.dropFirst())))
  }

  static func main(_ argv: [String]) -> Int32 {
    var context = Context()
    let globals: Arguments
    do { globals = try Arguments(argv[...], flags: globalFlags, stopAtPositional: true) } catch {
      context.log.error("\(error)")
      return 1
    }
    switch globals.value("rootless") ?? "auto" {
    case "true": context.rootless = true
    case "false": context.rootless = false
    case "auto": context.rootless = geteuid() != 0
    case let other:
      context.log.error("--rootless: \"\(other)\" is not true, false or auto")
      return 1
    }
    // As runc: an unprivileged caller keeps its state under $XDG_RUNTIME_DIR.
    if context.rootless, let runtimeDir = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtimeDir.isEmpty {
      context.root = runtimeDir + "/hull"
    }
    if let root = globals.value("root") { context.root = root }
    context.log.file = globals.value("log")
    if let format = globals.value("log-format") {
      guard format == "json" || format == "text" else {
        context.log.error("--log-format: unknown format \"\(format)\" (use text or json)")
        return 1
      }
      context.log.json = format == "json"
    }
    context.log.debugEnabled = globals.bool("debug")
    if context.log.debugEnabled {
      let log = context.log
      DebugTrace.enable { log.debug($0) }
    }
    context.systemdCgroup = globals.bool("systemd-cgroup")
    if globals.bool("version") {
      printOut("hull version \(version)\ncommit: \(BuildInfo.commit)\nspec: 1.3.0\n")
      return 0
    }
    guard let name = globals.positionals.first, !globals.bool("help"), name != "help" else {
      printOut(usage())
      return 0
    }
    guard let command = commands.first(where: { $0.name == name }) else {
      // As runc (urfave/cli): `hull foo -h` asks for help on a topic that does not exist.
      if globals.positionals.dropFirst().contains(where: { $0 == "-h" || $0 == "--help" }) {
        context.log.error("No help topic for '\(name)'")
        return 3
      }
      context.log.error("unknown command \"\(name)\" (see hull help)")
      return 1
    }
    // Commands that put a hull process inside a container first make sure the binary it
    // runs from cannot be written through /proc/<pid>/exe (CVE-2019-5736; see self_exe.c, whose
    // constructor normally did this already: then this only reads its result).
    if SelfExe.protects(name) {
      do { try SelfExe.protectOnce() } catch {
        context.log.error("\(name): protect the hull binary /proc/self/exe (CVE-2019-5736): \(error.reason)")
        return 1
      }
    }
    if context.systemdCgroup && !Glibc.access("/run/systemd/system", F_OK).isZero {
      context.log.error(
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use cgroupfs paths")
      return 1
    }
    do {
      let args = try Arguments(
        globals.positionals.dropFirst(), flags: command.flags + [.init(names: ["help", "h"], takesValue: false)],
        stopAfterPositionals: command.positionalLimit)
      if args.bool("help") {
        printOut(help(command))
        return 0
      }
      return try command.run(args, context)
    } catch let error as Arguments.Failure {
      context.log.error("\(name): \(error)")
      return 1
    } catch let error as RuntimeError {
      context.log.error(error.description)
      return 1
    } catch {
      context.log.error("\(error)")
      return 1
    }
  }

  /// `hull COMMAND -h`, laid out as runc's: name, usage, options.
  static func help(_ command: any HullCommand.Type) -> String {
    var text =
      "NAME:\n   hull \(command.name) - \(command.summary)\n\nUSAGE:\n   hull \(command.name) [command options]"
    text += ["spec", "list", "features"].contains(command.name) ? "\n" : " <container-id>\n"
    if !command.flags.isEmpty {
      text += "\nOPTIONS:\n"
      for flag in command.flags {
        let names = flag.names.map { ($0.count == 1 ? "-" : "--") + $0 + (flag.takesValue ? " value" : "") }
        text += "   " + names.joined(separator: ", ") + "\n"
      }
    }
    return text
  }

  static func usage() -> String {
    var text =
      "hull: an OCI container runtime (runc-compatible CLI)\n\nusage: hull [global options] command [options] [arguments]\n\ncommands:\n"
    for command in commands { text += "  " + command.name.padding(12) + command.summary + "\n" }
    text += "  help        show this help\n\nglobal options:\n  --root DIR  state directory (default /run/hull)\n"
    text += "  --log FILE  append errors to FILE\n  --log-format text|json\n  --debug\n  --systemd-cgroup\n"
    text +=
      "  --rootless true|false|auto  (auto: not root; state then defaults to $XDG_RUNTIME_DIR/hull)\n  --version\n"
    return text
  }
}

extension Int32 { var isZero: Bool { self == 0 } }

extension String {
  func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}

/// Reads the container id positional shared by most commands.
func containerID(_ args: Arguments, command: String) throws(RuntimeError) -> String {
  guard let id = args.positionals.first else {
    throw RuntimeError(
      command, reason: "container id is required (usage: hull \(command) <container-id>)", errno: EINVAL)
  }
  try ContainerID.validate(id)
  return id
}
