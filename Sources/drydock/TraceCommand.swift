import ArgumentParser

struct TraceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "trace", abstract: "(being written)")
  func run() throws { throw ValidationError("drydock trace: not built yet") }
}
