// Options several drydock commands take, declared once so that their spelling, value name and help agree.
import ArgumentParser
import Bench  // Shard: the i/n split bench and conformance share
import DrydockKit

/// `--runtime PATH` (repeatable) and `--runtime-arg NAME=ARG`: the runtimes bench and conformance drive.
struct RuntimeSelection: ParsableArguments {
  @Option(
    name: .customLong("runtime"),
    help: ArgumentHelp("A runtime binary (path or name in PATH); repeat for more.", valueName: "PATH"))
  var runtimes: [String] = []

  @Option(
    name: .customLong("runtime-arg"),
    help: ArgumentHelp(
      "A global argument for the runtime named NAME (repeatable), after its profile's (DrydockKit/RuntimeProfiles.swift).",
      valueName: "NAME=ARG"))
  var runtimeArgs: [String] = []

  /// Each runtime probed (name, version, features), with its profile's global arguments and the --runtime-arg ones.
  func probe() throws -> [RuntimeUnderTest] {
    try RuntimeProfiles.probeAll(runtimes, extra: RuntimeProfiles.parseExtra(runtimeArgs))
  }
}

/// `--shard i/n`: one part of a run split over a CI matrix, merged back by `drydock report merge`.
struct ShardOption: ParsableArguments {
  @Option(
    name: .customLong("shard"),
    help: ArgumentHelp(
      "Run only the i-th of n parts of the bench scenarios (round-robin by name) or conformance cases (round-robin by id); merge with drydock report merge.",
      valueName: "i/n"))
  var text: String?

  func parsed() throws -> Shard? {
    try text.map { try Shard(parsing: $0) }
  }
}

/// `--json FILE`: where a command writes its JSON report.
struct JSONReportOption: ParsableArguments {
  @Option(name: .customLong("json"), help: ArgumentHelp("Write the JSON report here.", valueName: "FILE"))
  var path: String?
}
