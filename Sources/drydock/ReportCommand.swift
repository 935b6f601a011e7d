// `drydock report`: combines conformance, bench and trace results into one release-gating report, and
// `drydock report merge` puts the shards of a CI matrix back together.
import ArgumentParser
import Bench
import DrydockKit
import Foundation
import Reports

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Combine conformance, bench and trace results into report.json, junit.xml, report.md and index.html.",
    discussion: """
      Every *.json under each --in (a directory, searched recursively, or a file) is recognised by its content: \
      a bench report (drydock bench --json), a conformance.json, or trace output. Results of one kind from \
      several inputs (the shards of a CI matrix) are merged first. report.md is meant as a pull-request comment; \
      index.html is self-contained (inline SVG charts). Exits 2 with --check when the verdict fails.
      """,
    subcommands: [Render.self, MergeShards.self],
    defaultSubcommand: Render.self)

  struct Inputs: ParsableArguments {
    @Option(
      name: .customLong("in"), help: ArgumentHelp("A result directory or file; repeat for more.", valueName: "DIR"))
    var inputs: [String] = []

    @Option(help: ArgumentHelp("Output directory.", valueName: "DIR"))
    var out: String = "report"

    func load() throws -> (ReportInputs, Merged) {
      guard !inputs.isEmpty else { throw ValidationError("give at least one --in DIR") }
      let loaded = try ReportInputs.load(directories: inputs)
      guard !loaded.files.isEmpty else {
        throw ValidationError("no bench, conformance or trace results found under \(inputs.joined(separator: ", "))")
      }
      return (loaded, try Merge.all(loaded))
    }
  }

  struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Write the report (the default).")

    @OptionGroup var options: Inputs

    @Option(
      help: ArgumentHelp(
        "The runtime under release: its MUST failures and all-failed bench series fail the verdict.", valueName: "NAME")
    )
    var gate: String?

    @Flag(help: "Exit 2 when the verdict fails (a confirmed regression, or a --gate runtime failing).")
    var check = false

    @Flag(help: "A comparison runtime that cannot run a container on the host also fails the verdict.")
    var requireAll = false

    func run() throws {
      do {
        let (loaded, merged) = try options.load()
        let stamp = ISO8601DateFormatter().string(from: Date())
        let model = ReportModel.build(
          merged, inputs: loaded.files, generatedAt: stamp, gateRuntime: gate,
          requireAll: requireAll)
        for path in try ReportWriter.writeReport(model, to: options.out) { print(path) }
        for note in model.notes { FileHandle.standardError.write(Data("drydock report: note: \(note)\n".utf8)) }
        for runtime in model.unusable ?? [] {
          FileHandle.standardError.write(Data("drydock report: WARNING: \(runtime.summary)\n".utf8))
        }
        for reason in model.verdict.reasons { FileHandle.standardError.write(Data("drydock report: \(reason)\n".utf8)) }
        print("verdict: \(model.verdict.passed ? "pass" : "fail")")
        if check && !model.verdict.passed { throw ExitCode(2) }
      } catch let error as HarnessError where error.domain == .report {
        FileHandle.standardError.write(Data("drydock \(error)\n".utf8))
        throw ExitCode.failure
      }
    }
  }

  struct MergeShards: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge",
      abstract: "Merge the results of shards (--shard i/n) into one bench.json, conformance.json and traces.json.")

    @OptionGroup var options: Inputs

    func run() throws {
      do {
        let (_, merged) = try options.load()
        for path in try ReportWriter.writeMerged(merged, to: options.out) { print(path) }
        for note in merged.notes { FileHandle.standardError.write(Data("drydock report merge: note: \(note)\n".utf8)) }
      } catch let error as HarnessError where error.domain == .report {
        FileHandle.standardError.write(Data("drydock \(error)\n".utf8))
        throw ExitCode.failure
      }
    }
  }
}
