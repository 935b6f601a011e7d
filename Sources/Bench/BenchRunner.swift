// BenchRunner: runs the scenarios against every runtime (and the floor), interleaved round-robin, and
// turns the samples into a BenchReport.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct BenchProgress: Sendable {
  public var done: Int
  public var total: Int
  public var scenario: String
  public var mode: String
  public var runtime: String
  public var elapsedSeconds: Double
  public var etaSeconds: Double
}

/// One thing being measured: a runtime through its CLI, or the floor program.
enum Participant {
  case runtime(RuntimeDriver)
  case floor(String)

  var name: String {
    switch self {
    case .runtime(let driver): return driver.runtime.name
    case .floor: return "floor"
    }
  }
}

struct SampleKey: Hashable {
  var runtime: String, scenario: String, phase: String, mode: String
}

struct Samples {
  var wall: [Double] = [], cpu: [Double] = [], rss: [Double] = [], cgroupMemory: [Double] = []
  var faults: [Double] = [], switches: [Double] = []
  var pss: [Double] = [], cgroupUsage: [Double] = [], processes: [Double] = []  // held scenarios
  var image: [Double] = []  // checkpoint scenarios
  var limitSearch: MemoryLimitSearch?  // limit scenarios
  var failures = 0
  var firstFailure: String?
}

/// One timed call: wall and CPU in milliseconds, peak RSS in kilobytes, as `measure` saw them.
struct Measurement {
  var phase: String, wall: Double, cpu: Double, rss: Double
  /// Peak memory charged to the container's cgroup in KB (lifecycle "total" only: read before delete).
  var cgroupMemory: Double?
  var faults: Double?, switches: Double?
  /// false: not a timed call (the "held" reading), so no wall/CPU/RSS sample.
  var timed = true
  /// Held scenarios: summed Pss KB of the processes in the cgroup, KB charged to it, how many processes.
  var pss: Double?, cgroupUsage: Double?, processes: Double?
  /// Checkpoint scenarios ("checkpoint" phase): KB of CRIU image files (*.img) the dump wrote.
  var imageKB: Double?
  init(_ phase: String, _ usage: MeasuredUsage) {
    self.phase = phase
    wall = Double(usage.wallNanoseconds) / 1e6
    cpu = Double(usage.userNanoseconds + usage.systemNanoseconds) / 1e6
    rss = Double(usage.maxRSSKilobytes)
    faults = usage.pageFaults.map(Double.init)
    switches = usage.contextSwitches.map(Double.init)
  }
  init(phase: String, wall: Double, cpu: Double, rss: Double) {
    self.phase = phase
    self.wall = wall
    self.cpu = cpu
    self.rss = rss
  }
}

enum TrialOutcome {
  case measured([Measurement])
  case failed(String)
}

/// Method: for each scenario and mode, iteration i runs one trial per participant, in a seeded random order
/// so that no runtime always goes first or always follows the same neighbour; the first `warmup`
/// iterations are discarded. Every container gets the same template config (same namespaces,
/// capabilities, mounts), its own id and an absolute cgroupsPath under a prefix of this run; the runtimes'
/// state lives in the work directory. Everything is removed at the end, failed or not: containers
/// (delete --force), cgroups under the prefix (every hierarchy), bundles, work dir.
/// A failed trial is counted in `failures` (first message kept) and left out of the statistics.
/// Limit scenarios are the exception to the round-robin: one bisection per participant (Memory.swift).
public final class BenchRunner {
  public let configuration: BenchConfiguration
  var workDirectory = ""
  var cgroupPrefix = ""
  var factory: BundleFactory?
  var floorPath: String?
  var measurePath = ""
  var drivers: [RuntimeDriver] = []
  var cleaner: CgroupCleaner?

  /// Validates the configuration.
  public init(configuration: BenchConfiguration) throws {
    try configuration.validate()
    self.configuration = configuration
  }

  public func run(progress: ((BenchProgress) -> Void)? = nil) throws -> BenchReport {
    let started = ProcessRunner.monotonicNanoseconds()
    let ownsWorkDirectory = configuration.workDirectory == nil
    workDirectory = try configuration.workDirectory ?? Self.makeTemporaryDirectory()
    if let reason = configuration.scenarios.lazy.compactMap({ ScenarioLoader.unmetNeed($0) }).first {
      throw HarnessError(.bench, operation: "bench", message: reason)
    }
    cgroupPrefix = CgroupCleaner.uniquePrefix("drydock-bench")
    let cleaner: CgroupCleaner
    do { cleaner = try CgroupCleaner(prefix: cgroupPrefix) } catch let error as HarnessError {
      throw error.relabeled(.bench)
    }
    self.cleaner = cleaner
    defer {
      cleanUp(cleaner: cleaner)
      if ownsWorkDirectory { try? FileManager.default.removeItem(atPath: workDirectory) }
    }
    do {
      factory = try BundleFactory(workDirectory: workDirectory, defaultStrategy: configuration.rootfsStrategy)
      _ = try factory!.rootfsCache()
    } catch let error as HarnessError { throw error.relabeled(.bench) }

    guard let sources = configuration.floorSource ?? Floor.defaultSourceDirectory() else {
      throw HarnessError(.bench, operation: "find bench/floor", message: "cannot find bench/floor (set DRYDOCK_REPO)")
    }
    // Without the launcher, peak RSS would read the test-bed's own (see bench/floor/measure.c).
    measurePath = try Floor.build(
      "measure", sourceDirectory: sources, into: workDirectory, compiler: configuration.compiler
    ).path
    var floorDescription: String?
    if configuration.includeFloor && configuration.scenarios.contains(where: \.runsFloor) {
      let built = try Floor.build(
        "floor", sourceDirectory: sources, into: workDirectory, compiler: configuration.compiler)
      floorPath = built.path
      floorDescription = built.description
    }
    drivers = configuration.runtimes.enumerated().map { index, runtime in
      var driver = RuntimeDriver(
        runtime: runtime, stateRoot: "\(workDirectory)/state/\(index)-\(runtime.name)",
        timeout: configuration.timeoutSeconds)
      driver.launcher = [measurePath, usageFile(index)]
      return driver
    }
    var environment = BenchEnvironment.capture(
      runtimes: configuration.runtimes, floor: floorDescription,
      configuration: configuration)

    let total = configuration.scenarios.reduce(0) { sum, scenario in
      // A limit scenario is one bisection per participant: one tick each.
      sum + modes(for: scenario).count * (scenario.kind == .limit ? 1 : iterations(for: scenario))
        * participants(for: scenario).count
    }
    var done = 0
    var samples: [SampleKey: Samples] = [:]
    for scenario in configuration.scenarios {
      for mode in modes(for: scenario) {
        if scenario.kind == .limit {
          try runLimitScenario(scenario, mode: mode, into: &samples) { name in
            done += 1
            if let progress {
              let elapsed = Double(ProcessRunner.monotonicNanoseconds() - started) / 1e9
              progress(
                BenchProgress(
                  done: done, total: total, scenario: scenario.name, mode: mode.rawValue,
                  runtime: name, elapsedSeconds: elapsed,
                  etaSeconds: elapsed / Double(done) * Double(total - done)))
            }
          }
          continue
        }
        let iterations = iterations(for: scenario)
        let members = participants(for: scenario)
        var contexts: [TrialContext] = []
        defer { for context in contexts { tearDown(context) } }
        for (index, participant) in members.enumerated() {
          contexts.append(try prepare(scenario: scenario, mode: mode, participant: participant, index: index))
        }
        // A fresh seeded permutation per iteration: a fixed cyclic order (even rotated) gives every
        // runtime the same predecessor, and what one runtime leaves behind (a cgroup rmdir, an RCU
        // grace period in flight) then lands on the same neighbour every time: +5 ms on one
        // runtime's back-to-back create was measured that way.
        var shuffler = SplitMix64(seed: configuration.seed &+ UInt64(mode == .isolated ? 1 : 2))
        for iteration in 0..<iterations {
          var order = Array(contexts.indices)
          order.shuffle(using: &shuffler)
          for index in order {
            let context = contexts[index]
            let outcome = trial(context, iteration: iteration)
            done += 1
            if let progress {
              let elapsed = Double(ProcessRunner.monotonicNanoseconds() - started) / 1e9
              progress(
                BenchProgress(
                  done: done, total: total, scenario: scenario.name, mode: mode.rawValue,
                  runtime: context.participant.name, elapsedSeconds: elapsed,
                  etaSeconds: elapsed / Double(done) * Double(total - done)))
            }
            guard iteration >= configuration.warmup else { continue }
            record(outcome, scenario: scenario, mode: mode, participant: context.participant.name, into: &samples)
          }
        }
      }
    }
    environment.loadAfter = HostInfo.loadAverageNow()
    environment.durationSeconds = Double(ProcessRunner.monotonicNanoseconds() - started) / 1e9
    return BenchReport(environment: environment, results: results(from: samples))
  }

  /// A scenario may cap its runs (a throughput trial is a whole batch of containers) and its modes.
  func iterations(for scenario: Scenario) -> Int {
    configuration.warmup + min(configuration.runs, scenario.runs ?? configuration.runs)
  }

  func modes(for scenario: Scenario) -> [BenchMode] {
    configuration.modes.filter { scenario.modes?.contains($0.rawValue) ?? true }
  }

  /// Where `measure` writes the usage of participant `index`'s last call (the floor is the last index).
  func usageFile(_ index: Int) -> String { "\(workDirectory)/usage-\(index)" }

  func participants(for scenario: Scenario) -> [Participant] {
    var members = drivers.map { driver in
      guard scenario.systemdCgroup == true else { return Participant.runtime(driver) }
      var systemd = driver
      systemd.runtime = RuntimeProfiles.withSystemdCgroup(driver.runtime)
      return Participant.runtime(systemd)
    }
    if scenario.runsFloor, let floorPath { members.append(.floor(floorPath)) }
    return members
  }

  private func record(
    _ outcome: TrialOutcome, scenario: Scenario, mode: BenchMode, participant: String,
    into samples: inout [SampleKey: Samples]
  ) {
    switch outcome {
    case .measured(let measurements):
      for m in measurements {
        let key = SampleKey(runtime: participant, scenario: scenario.name, phase: m.phase, mode: mode.rawValue)
        if m.timed {
          samples[key, default: Samples()].wall.append(m.wall)
          samples[key, default: Samples()].cpu.append(m.cpu)
          samples[key, default: Samples()].rss.append(m.rss)
        }
        if let pss = m.pss { samples[key, default: Samples()].pss.append(pss) }
        if let usage = m.cgroupUsage { samples[key, default: Samples()].cgroupUsage.append(usage) }
        if let processes = m.processes { samples[key, default: Samples()].processes.append(processes) }
        if let image = m.imageKB { samples[key, default: Samples()].image.append(image) }
        if let charged = m.cgroupMemory { samples[key, default: Samples()].cgroupMemory.append(charged) }
        if let faults = m.faults { samples[key, default: Samples()].faults.append(faults) }
        if let switches = m.switches { samples[key, default: Samples()].switches.append(switches) }
      }
    case .failed(let message):
      let phases = participant == "floor" ? ["run"] : scenario.kind.phases
      for phase in phases {
        let key = SampleKey(runtime: participant, scenario: scenario.name, phase: phase, mode: mode.rawValue)
        samples[key, default: Samples()].failures += 1
        if samples[key]!.firstFailure == nil { samples[key]!.firstFailure = message }
      }
    }
  }

  /// Results in a stable order: scenario, phase, mode, then runtimes in the order given and the floor last.
  private func results(from samples: [SampleKey: Samples]) -> [BenchResult] {
    var results: [BenchResult] = []
    for scenario in configuration.scenarios {
      for phase in scenario.kind.phases {
        for mode in modes(for: scenario) {
          let names = participants(for: scenario).map(\.name)
          for name in names where name != "floor" || phase == "run" || phase == "limit" {
            let key = SampleKey(runtime: name, scenario: scenario.name, phase: phase, mode: mode.rawValue)
            let s = samples[key] ?? Samples()
            // One seed per series, derived from the run's seed, so intervals are reproducible and independent.
            var hasher = SplitMix64(seed: configuration.seed &+ UInt64(results.count))
            let seed = hasher.next()
            results.append(
              BenchResult(
                runtime: name, scenario: scenario.name, phase: phase, mode: mode.rawValue,
                n: max(s.wall.count, s.pss.count),
                failures: s.failures,
                wallMilliseconds: s.wall.isEmpty ? nil : Statistics.summarize(s.wall, seed: seed),
                cpuMilliseconds: s.cpu.isEmpty ? nil : Statistics.summarize(s.cpu, seed: seed),
                rssKilobytes: s.rss.isEmpty ? nil : Statistics.summarize(s.rss, seed: seed),
                firstFailure: s.firstFailure))
            if !s.faults.isEmpty { results[results.count - 1].pageFaults = Statistics.summarize(s.faults, seed: seed) }
            if !s.switches.isEmpty {
              results[results.count - 1].contextSwitches = Statistics.summarize(s.switches, seed: seed)
            }
            if !s.cgroupMemory.isEmpty {
              results[results.count - 1].cgroupMemoryKilobytes = Statistics.summarize(s.cgroupMemory, seed: seed)
            }
            if !s.pss.isEmpty { results[results.count - 1].pssKilobytes = Statistics.summarize(s.pss, seed: seed) }
            if !s.cgroupUsage.isEmpty {
              results[results.count - 1].cgroupKilobytes = Statistics.summarize(s.cgroupUsage, seed: seed)
            }
            if !s.processes.isEmpty {
              results[results.count - 1].heldProcesses = Statistics.summarize(s.processes, seed: seed)
            }
            if !s.image.isEmpty {
              results[results.count - 1].imageKilobytes = Statistics.summarize(s.image, seed: seed)
            }
            results[results.count - 1].memoryLimit = s.limitSearch
            if scenario.kind == .throughput && !s.wall.isEmpty {
              let batch = Double(scenario.batchSize)
              results[results.count - 1].containersPerSecond = Statistics.summarize(
                s.wall.map { batch * 1000 / $0 }, seed: seed)
            }
          }
        }
      }
    }
    return results
  }

  /// A systemd scenario's cgroupsPath: the scope "<prefix>-<id>.scope" in system.slice, the prefix this run's own.
  func systemdCgroupsPath(_ id: String) -> String { "system.slice:\(systemdScopePrefix):\(id)" }
  var systemdScopePrefix: String { cgroupPrefix.split(separator: "/").joined(separator: "-") }

  /// Scopes of this run that a failed or killed runtime call left behind (their names carry the run's prefix).
  private func stopLeftoverScopes() {
    guard configuration.scenarios.contains(where: { $0.systemdCgroup == true }),
      let listed = try? ProcessRunner.run(
        [
          "systemctl", "list-units", "--all", "--plain", "--no-legend",
          "\(systemdScopePrefix)-*.scope",
        ], timeout: 20)
    else { return }
    for line in listed.stdoutText.split(separator: "\n") {
      guard let unit = line.split(separator: " ").first, unit.hasPrefix(systemdScopePrefix + "-") else { continue }
      _ = try? ProcessRunner.run(["systemctl", "stop", String(unit)], timeout: 20)
    }
  }

  private func cleanUp(cleaner: CgroupCleaner) {
    // The state roots are this run's own: whatever is still listed there was created by it.
    for driver in drivers {
      if let listed = try? driver.list(), let containers = listed.jsonObject() as? [[String: Any]] {
        for container in containers {
          if let id = container["id"] as? String { _ = try? driver.delete(id: id, force: true) }
        }
      }
    }
    stopLeftoverScopes()
    for failure in cleaner.removeAll() {
      FileHandle.standardError.write(Data("drydock bench: cleanup: \(failure)\n".utf8))
    }
    factory?.removeAll()
    factory = nil
  }

  static func makeTemporaryDirectory() throws -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(base)/drydock-bench-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
      throw HarnessError(
        .bench, operation: "mkdtemp", path: base, errno: errno, message: String(cString: strerror(errno)))
    }
    return String(cString: made)
  }
}
