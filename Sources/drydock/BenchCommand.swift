// `drydock bench`: start-latency and overhead benchmarks of any OCI runtime, driven through its CLI.
// The method and the figures it is checked against: ../shared/design/performance.md.
import ArgumentParser
import Bench
import DrydockKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Start-latency benchmarks of OCI runtimes, interleaved, against a C floor.",
    discussion: """
      Every runtime gets the same busybox bundle (bundles/busybox/config.json, the process replaced by the \
      scenario's) with an absolute cgroupsPath of this run's own; runtimes and the floor are interleaved \
      round-robin. Prints a Markdown table (ratios to the first runtime) and optionally writes JSON.
      Needs root. With crun 1.8.1 on a hybrid cgroup host, run scripts/setup first.
      """)

  @Option(name: .customLong("runtime"), help: ArgumentHelp("A runtime binary (path or name in PATH); repeat for more. The first is the reference.", valueName: "PATH"))
  var runtimes: [String] = []

  @Option(name: .customLong("scenario"), help: ArgumentHelp("A scenario of bench/scenarios/ (run, lifecycle, exec, state, kill); repeat for more. Default: all.", valueName: "NAME"))
  var scenarios: [String] = []

  @Option(help: "Measured runs per runtime, scenario and mode.")
  var runs = 100

  @Option(help: "Warm-up runs, discarded.")
  var warmup = 5

  @Option(help: "isolated (sleep before each start, so the cgroup v1 attach pays its RCU grace period), back-to-back, or both.")
  var mode: ModeChoice = .both

  @Option(help: ArgumentHelp("Write the JSON report here.", valueName: "FILE"))
  var json: String?

  @Flag(help: "Do not build and run the C floor.")
  var noFloor = false

  @Option(help: ArgumentHelp("Directory of scenario files (default: <repository>/bench/scenarios).", valueName: "DIR"))
  var scenariosDirectory: String?

  @Option(help: ArgumentHelp("Idle milliseconds before each timed call in isolated mode.", valueName: "MS"))
  var isolationSleep = 50.0

  @Option(help: "Seed of the bootstrap resampling.")
  var seed: UInt64 = 0x5EED

  enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
    case isolated, backToBack = "back-to-back", both
    var modes: [BenchMode] {
      switch self {
      case .isolated: return [.isolated]
      case .backToBack: return [.backToBack]
      case .both: return [.isolated, .backToBack]
      }
    }
  }

  func validate() throws {
    if runtimes.isEmpty { throw ValidationError("give at least one --runtime PATH") }
    if runs < 1 { throw ValidationError("--runs must be at least 1") }
    if warmup < 0 { throw ValidationError("--warmup must not be negative") }
  }

  func run() throws {
    guard getuid() == 0 else {
      throw ValidationError("drydock bench needs root (containers need namespaces, mounts and cgroups)")
    }
    do {
      let probed = try runtimes.map { try RuntimeUnderTest.probe($0) }
      let runtimes = Self.distinctNames(probed)
      guard let directory = scenariosDirectory ?? ScenarioLoader.defaultDirectory() else {
        throw ValidationError("cannot find bench/scenarios: run from the repository, set DRYDOCK_REPO, or pass --scenarios-directory")
      }
      let selected = try ScenarioLoader.select(scenarios, from: try ScenarioLoader.load(directory: directory))
      var configuration = BenchConfiguration(runtimes: runtimes, scenarios: selected)
      configuration.runs = runs
      configuration.warmup = warmup
      configuration.modes = mode.modes
      configuration.includeFloor = !noFloor
      configuration.isolationSleepMilliseconds = isolationSleep
      configuration.seed = seed
      let runner = try BenchRunner(configuration: configuration)
      let showProgress = isatty(STDERR_FILENO) == 1
      let progress: ((BenchProgress) -> Void)? = showProgress ? { Self.printProgress($0) } : nil
      let report = try runner.run(progress: progress)
      if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      if let json {
        let data = try report.jsonData()
        guard FileManager.default.createFile(atPath: json, contents: data) else {
          throw BenchError(operation: "write JSON", path: json, errno: errno, message: String(cString: strerror(errno)))
        }
      }
      print(MarkdownTable.render(report), terminator: "")
    } catch let error as DrydockKitError {
      // A failure of the run, not of the command line: no usage text, exit 1.
      FileHandle.standardError.write(Data("drydock bench: \(error)\n".utf8))
      throw ExitCode.failure
    } catch let error as BenchError {
      FileHandle.standardError.write(Data("drydock \(error)\n".utf8))
      throw ExitCode.failure
    }
  }

  /// Two binaries with the same file name (a PR build and main's) get distinct labels: name, name-2, ...
  static func distinctNames(_ runtimes: [RuntimeUnderTest]) -> [RuntimeUnderTest] {
    var seen: [String: Int] = [:]
    return runtimes.map { runtime in
      var copy = runtime
      let count = (seen[runtime.name] ?? 0) + 1
      seen[runtime.name] = count
      if count > 1 || runtime.name == "floor" { copy.name = "\(runtime.name)-\(count + (runtime.name == "floor" ? 1 : 0))" }
      return copy
    }
  }

  static func printProgress(_ progress: BenchProgress) {
    let width = 30
    let filled = progress.total > 0 ? width * progress.done / progress.total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let eta = Int(progress.etaSeconds.rounded())
    let line = "\r\u{1B}[K[\(bar)] \(progress.done)/\(progress.total) \(progress.scenario) \(progress.mode) \(progress.runtime)  ETA \(eta / 60)m\(String(format: "%02d", eta % 60))s"
    FileHandle.standardError.write(Data(line.utf8))
  }
}
