import ArgumentParser

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "bench", abstract: "Start-latency benchmarks (being written).")
  func run() throws { throw ValidationError("drydock bench: not built yet") }
}
