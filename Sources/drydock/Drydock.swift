import ArgumentParser

/// `drydock`: a test-bed that drives any OCI runtime (hull, runc, crun, youki, ...) through its CLI.
@main
struct Drydock: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drydock",
    abstract: "Conformance, benchmarks and reports for OCI runtimes, driven as black boxes.",
    subcommands: [
      ConformanceCommand.self, BenchCommand.self, TraceCommand.self, StressCommand.self, ReportCommand.self,
      VMCommand.self,
    ])
}
