// `drydock bench`: start-latency and overhead benchmarks of any OCI runtime, driven through its CLI.
// The method and the figures it is checked against: docs/performance.md.
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
      round-robin. Prints a Markdown table (ratios to the first --runtime, the reference) and optionally \
      writes JSON.
      With --baseline, compares with a stored report from the same host under --thresholds (default \
      bench/thresholds.json), re-runs suspected regressions to confirm them, and exits 2 on a confirmed one.
      Needs root. With crun 1.8.1 on a hybrid cgroup host, run scripts/setup first.
      """)

  @OptionGroup var runtimeSelection: RuntimeSelection

  @Option(
    name: .customLong("scenario"),
    help: ArgumentHelp(
      "A scenario of bench/scenarios/ (run, run-no-netns, run-seccomp, run-systemd, lifecycle, exec, state, kill, throughput-1, -2, -n, memory-held, memory-limit; checkpoint only when named: it needs CRIU); repeat for more. Default: all but checkpoint.",
      valueName: "NAME"))
  var scenarios: [String] = []

  @Flag(
    help:
      "Fail when any runtime cannot run a trivial container here (default: an unusable runtime is reported and left out, unless it is the first, the reference)."
  )
  var requireAll = false

  @Option(help: "Measured runs per runtime, scenario and mode.")
  var runs = 100

  @Option(help: "Warm-up runs, discarded.")
  var warmup = 5

  @Option(
    help:
      "isolated (sleep before each start, so the cgroup v1 attach pays its RCU grace period), back-to-back, or both.")
  var mode: ModeChoice = .both

  @OptionGroup var jsonReport: JSONReportOption

  @Flag(help: "Do not build and run the C floor.")
  var noFloor = false

  @Option(help: ArgumentHelp("Directory of scenario files (default: <repository>/bench/scenarios).", valueName: "DIR"))
  var scenariosDirectory: String?

  @Option(help: ArgumentHelp("Idle milliseconds before each timed call in isolated mode.", valueName: "MS"))
  var isolationSleep = 50.0

  @Option(help: "Seed of the run order and of the bootstrap resampling.")
  var seed: UInt64 = 0x5EED

  @Option(help: ArgumentHelp("A stored bench JSON from the same host to gate against.", valueName: "FILE"))
  var baseline: String?

  @Option(
    help: ArgumentHelp(
      "Bands per metric for --baseline, and the levels of --levels (default: <repository>/bench/thresholds.json, else built-in).",
      valueName: "FILE"))
  var thresholds: String?

  @Flag(
    help:
      "Check this run against the thresholds file's \"levels\": ratios between runtimes measured together (such as hull's CPU above the floor against crun's), no baseline needed; exit 2 when one is exceeded."
  )
  var levels = false

  @OptionGroup var shardOption: ShardOption

  enum ModeChoice: String, ExpressibleByArgument, CaseIterable {
    case isolated
    case backToBack = "back-to-back"
    case both
    var modes: [BenchMode] {
      switch self {
      case .isolated: return [.isolated]
      case .backToBack: return [.backToBack]
      case .both: return [.isolated, .backToBack]
      }
    }
  }

  func validate() throws {
    if runtimeSelection.runtimes.isEmpty { throw ValidationError("give at least one --runtime PATH") }
    if runs < 1 { throw ValidationError("--runs must be at least 1") }
    if warmup < 0 { throw ValidationError("--warmup must not be negative") }
  }

  func run() throws {
    guard getuid() == 0 else {
      throw ValidationError("drydock bench needs root (containers need namespaces, mounts and cgroups)")
    }
    do {
      let probed = Self.distinctNames(try runtimeSelection.probe())
      // The first runtime is the reference of every ratio: it is the one gated.
      let usability = try Preflight.checkAll(
        probed, workDirectory: NSTemporaryDirectory() + "drydock-bench-preflight-\(getpid())")
      try Preflight.enforce(usability, gate: probed.first?.path, requireAll: requireAll)
      let runtimes = zip(probed, usability).filter { $0.1.usable }.map(\.0)
      let unusable = usability.filter { !$0.usable }
      guard let directory = scenariosDirectory ?? ScenarioLoader.defaultDirectory() else {
        throw ValidationError(
          "cannot find bench/scenarios: run from the repository, set DRYDOCK_REPO, or pass --scenarios-directory")
      }
      var selected = try ScenarioLoader.select(scenarios, from: try ScenarioLoader.load(directory: directory))
      // All scenarios: those this host cannot run are left out, saying why; one asked for by name is an error.
      for scenario in selected {
        guard let reason = ScenarioLoader.unmetNeed(scenario) else { continue }
        if !scenarios.isEmpty { throw ValidationError(reason) }
        FileHandle.standardError.write(Data("drydock bench: skipped: \(reason)\n".utf8))
      }
      selected = selected.filter { ScenarioLoader.unmetNeed($0) == nil }
      let shard = try shardOption.parsed()
      if let shard { selected = shard.select(selected, key: \.name) }
      var configuration = BenchConfiguration(runtimes: runtimes, scenarios: selected)
      configuration.runs = runs
      configuration.warmup = warmup
      configuration.modes = mode.modes
      configuration.includeFloor = !noFloor
      configuration.isolationSleepMilliseconds = isolationSleep
      configuration.seed = seed
      let gating = try loadGating(configuration: configuration)
      let levelLimits = levels ? try loadLevels() : []
      var report: BenchReport
      if selected.isEmpty, let shard {
        // More shards than scenarios: an empty part is not an error in a CI matrix, and its (empty) JSON
        // tells `drydock report merge` that the shard ran.
        FileHandle.standardError.write(Data("drydock bench: shard \(shard) has no scenario\n".utf8))
        report = BenchReport(
          environment: .capture(runtimes: configuration.runtimes, floor: nil, configuration: configuration), results: []
        )
      } else {
        report = try measure(configuration)
        if let gating { report.gate = try gate(report, configuration: configuration, gating) }
        if levels { report.levels = Levels.check(report, limits: levelLimits) }
      }
      report.environment.shard = shard?.description
      report.environment.unusable = unusable.isEmpty ? nil : unusable
      if let json = jsonReport.path {
        let data = try report.jsonData()
        guard FileManager.default.createFile(atPath: json, contents: data) else {
          throw HarnessError(
            .bench, operation: "write JSON", path: json, errno: errno, message: String(cString: strerror(errno)))
        }
      }
      print(MarkdownTable.render(report), terminator: "")
      for runtime in unusable { print("UNUSABLE, not measured: \(runtime.summary)") }
      for line in Levels.summaryLines(report.levels ?? []) { print(line) }
      if let gate = report.gate {
        Self.printGate(gate)
        if !gate.passed { throw ExitCode(2) }
      }
      if !Levels.passed(report.levels ?? []) { throw ExitCode(2) }
    } catch let error as HarnessError where error.domain == .kit {
      // A failure of the run, not of the command line: no usage text, exit 1.
      FileHandle.standardError.write(Data("drydock bench: \(error)\n".utf8))
      throw ExitCode.failure
    } catch let error as HarnessError where error.domain == .bench {
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
      if count > 1 || runtime.name == "floor" {
        copy.name = "\(runtime.name)-\(count + (runtime.name == "floor" ? 1 : 0))"
      }
      return copy
    }
  }

  static func printProgress(_ progress: BenchProgress) {
    let width = 30
    let filled = progress.total > 0 ? width * progress.done / progress.total : width
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let eta = Int(progress.etaSeconds.rounded())
    let line =
      "\r\u{1B}[K[\(bar)] \(progress.done)/\(progress.total) \(progress.scenario) \(progress.mode) \(progress.runtime)  ETA \(eta / 60)m\(String(format: "%02d", eta % 60))s"
    FileHandle.standardError.write(Data(line.utf8))
  }
}

// Gating: --baseline and --thresholds.
extension BenchCommand {
  /// The thresholds file's levels, read before the run (a wrong path fails in seconds).
  /// --thresholds, else the repository's bench/thresholds.json (nil: no repository found).
  var thresholdsPath: String? { thresholds ?? BundleFactory.repositoryRoot().map({ $0 + "/bench/thresholds.json" }) }

  func loadLevels() throws -> [LevelLimit] {
    guard let path = thresholdsPath else {
      throw ValidationError("--levels: cannot find bench/thresholds.json (pass --thresholds FILE or set DRYDOCK_REPO)")
    }
    let limits = try Thresholds.load(path).levels ?? []
    if limits.isEmpty {
      throw HarnessError(.bench, operation: "read levels", path: path, message: "the file has no \"levels\"")
    }
    return limits
  }

  struct Gating {
    var baseline: BenchReport
    var thresholds: Thresholds
  }

  /// Loads baseline and thresholds before the run, so a wrong path or another host fails in seconds, not
  /// after the whole benchmark.
  func loadGating(configuration: BenchConfiguration) throws -> Gating? {
    guard let baseline else {
      if thresholds != nil && !levels { throw ValidationError("--thresholds needs --baseline FILE or --levels") }
      return nil
    }
    let stored = try BenchReport.load(baseline)
    var bands = Thresholds()
    if let path = thresholdsPath,
      thresholds != nil || FileManager.default.fileExists(atPath: path)
    {
      bands = try Thresholds.load(path)
    }
    let here = BenchEnvironment.capture(runtimes: configuration.runtimes, floor: nil, configuration: configuration)
    let differences = Gate.hostDifferences(
      baseline: stored.environment, current: here, fields: bands.effectiveHostFields)
    if !differences.isEmpty && bands.requireSameHost != false {
      throw HarnessError(
        .bench, operation: "compare with baseline", path: baseline,
        message: "the baseline comes from another host (\(differences.joined(separator: "; "))); "
          + "wall and CPU times do not compare across hosts")
    }
    return Gating(baseline: stored, thresholds: bands)
  }

  func measure(_ configuration: BenchConfiguration) throws -> BenchReport {
    let runner = try BenchRunner(configuration: configuration)
    let showProgress = isatty(STDERR_FILENO) == 1
    let progress: ((BenchProgress) -> Void)? = showProgress ? { Self.printProgress($0) } : nil
    let report = try runner.run(progress: progress)
    if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    return report
  }

  /// Compare, then re-run only the scenarios and modes with a suspected regression (all runtimes again, so
  /// the interleaving is the same) and keep only what every re-run reproduces.
  func gate(_ report: BenchReport, configuration: BenchConfiguration, _ gating: Gating) throws -> GateReport {
    var findings = Gate.compare(current: report, baseline: gating.baseline, thresholds: gating.thresholds)
    let reruns = gating.thresholds.effectiveConfirmReruns
    let suspects = Gate.suspects(findings)
    var rerunReports: [BenchReport] = []
    if !suspects.scenarios.isEmpty {
      var again = configuration
      again.scenarios = configuration.scenarios.filter { suspects.scenarios.contains($0.name) }
      again.modes = configuration.modes.filter { suspects.modes.contains($0.rawValue) }
      for attempt in 1...max(reruns, 1) where reruns > 0 {
        FileHandle.standardError.write(
          Data(
            "drydock bench: gate: re-running \(again.scenarios.map(\.name).joined(separator: ", ")) to confirm (\(attempt)/\(reruns))\n"
              .utf8))
        rerunReports.append(try measure(again))
      }
    }
    findings = Gate.confirm(findings, reruns: rerunReports, baseline: gating.baseline, thresholds: gating.thresholds)
    var differences = Gate.hostDifferences(
      baseline: gating.baseline.environment, current: report.environment,
      fields: gating.thresholds.effectiveHostFields)
    // Same host, different weather: a much busier machine inflates wall and CPU time alike.
    if let before = gating.baseline.environment.loadBefore.first, let now = report.environment.loadBefore.first,
      now > before + 1
    {
      differences.append(
        "load: \(MarkdownTable.number(before, decimals: 2)) -> \(MarkdownTable.number(now, decimals: 2)) "
          + "(busier than when the baseline was taken: distrust a regression that crun/runc show too)")
    }
    return GateReport(
      baselineStartedAt: gating.baseline.environment.startedAt, hostDifferences: differences,
      reruns: rerunReports.count, findings: findings)
  }

  static func printGate(_ gate: GateReport) {
    let annotate = ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true"
    for line in Gate.summaryLines(gate) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    // GitHub Actions turns these lines into annotations on the run's summary page.
    if annotate {
      for finding in gate.regressions { print("::error title=bench regression::\(Gate.describe(finding))") }
    }
  }
}
