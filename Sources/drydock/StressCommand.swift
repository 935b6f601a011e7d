// `drydock stress`: churn, same-id races, fault injection and a bad-input corpus against any OCI runtime, each
// followed by an audit of what the runtime left behind (mounts, cgroups, state, processes, fds, netns).
import ArgumentParser
import DrydockKit
import Foundation
import Stress

#if canImport(Glibc)
import Glibc
#endif

struct StressCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stress",
    abstract: "Churn, concurrency, fault injection and bad input against an OCI runtime, then a leak audit.",
    discussion: """
      Default: churn --containers containers through a mix of lifecycles (run; create/start/kill/delete; \
      create/delete; exec into a running container) with --concurrency workers, then audit mounts, cgroups under \
      this run's prefix, state entries under its --root, processes and zombies, the test-bed's fds and network \
      namespaces; the runtime's RSS is sampled throughout. Any leak or failed call fails the run (exit 1).
      --same-id, --faults and --bad-input DIR run the other checks instead (they can be combined).
      Needs root. With crun 1.8.1 on a hybrid cgroup host, run scripts/setup first.
      """)

  @Option(help: ArgumentHelp("The runtime binary (path or name in PATH).", valueName: "PATH"))
  var runtime: String

  @Option(help: "Containers to churn.")
  var containers = 100

  @Option(help: "Concurrent workers.")
  var concurrency = 4

  @Option(help: ArgumentHelp("Stop the churn after this many seconds, even before --containers.", valueName: "SECONDS"))
  var duration: Double?

  @OptionGroup var jsonReport: JSONReportOption

  @Flag(help: "Race state/kill/delete/exec on one container id instead of the churn.")
  var sameId = false

  @Flag(
    help:
      "Inject faults (SIGKILL mid-call, bundle removed mid-create, hanging hooks, full state fs) instead of the churn.")
  var faults = false

  @Option(help: ArgumentHelp("Fault-injection rounds per operation.", valueName: "N"))
  var faultRounds = 5

  @Option(
    name: .customLong("bad-input"),
    help: ArgumentHelp(
      "Run the bad-input corpus of this directory (conformance/bad-input) instead of the churn.", valueName: "DIR"))
  var badInput: String?

  func validate() throws {
    if containers < 1 { throw ValidationError("--containers must be at least 1") }
    if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
  }

  func run() throws {
    guard getuid() == 0 else { throw ValidationError("drydock stress needs root (namespaces, mounts and cgroups)") }
    do {
      let runtime = try RuntimeProfiles.probeAll([self.runtime])[0]
      try Preflight.requireUsable(runtime)
      var sections: [String: Data] = [:]
      var passed = true
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      if sameId {
        let report = try SameIDRace.run(runtime: runtime)
        print(report.text, terminator: "")
        sections["same_id"] = try encoder.encode(report)
        passed = passed && report.passed
      }
      if faults {
        let report = try FaultInjection.run(runtime: runtime, rounds: faultRounds)
        print(report.text, terminator: "")
        sections["faults"] = try encoder.encode(report)
        passed = passed && report.passed
      }
      if let badInput {
        let report = try BadInputRunner.run(runtime: runtime, directory: badInput)
        print(report.text, terminator: "")
        sections["bad_input"] = try encoder.encode(report)
        passed = passed && report.passed
      }
      if !sameId && !faults && badInput == nil {
        var configuration = ChurnConfiguration()
        configuration.containers = containers
        configuration.concurrency = concurrency
        configuration.duration = duration
        let showProgress = isatty(STDERR_FILENO) == 1
        let progress: @Sendable (Int, Int) -> Void = { done, total in
          FileHandle.standardError.write(Data("\r\u{1B}[K\(done)/\(total) containers".utf8))
        }
        let report = try Churn.run(
          runtime: runtime, configuration: configuration, progress: showProgress ? progress : nil)
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(report.text, terminator: "")
        sections["churn"] = try encoder.encode(report)
        passed = passed && report.passed
      }
      if let json = jsonReport.path {
        var text = "{\n"
        text += sections.keys.sorted().map { "\"\($0)\": " + String(decoding: sections[$0]!, as: UTF8.self) }.joined(
          separator: ",\n")
        text += "\n}\n"
        guard FileManager.default.createFile(atPath: json, contents: Data(text.utf8)) else {
          throw HarnessError(.stress, operation: "write JSON", path: json, message: String(cString: strerror(errno)))
        }
      }
      if !passed { throw ExitCode.failure }
    } catch let error as HarnessError where error.domain == .kit {
      FileHandle.standardError.write(Data("drydock stress: \(error)\n".utf8))
      throw ExitCode.failure
    } catch let error as HarnessError where error.domain == .stress {
      FileHandle.standardError.write(Data("drydock \(error)\n".utf8))
      throw ExitCode.failure
    }
  }
}
