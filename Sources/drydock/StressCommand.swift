import ArgumentParser

struct StressCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "stress", abstract: "(being written)")
  func run() throws { throw ValidationError("drydock stress: not built yet") }
}
