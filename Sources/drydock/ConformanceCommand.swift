import ArgumentParser

struct ConformanceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "conformance", abstract: "Conformance suite (being written).")
  func run() throws { throw ValidationError("drydock conformance: not built yet") }
}
