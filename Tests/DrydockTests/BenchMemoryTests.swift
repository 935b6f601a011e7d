// The memory scenarios of drydock bench: the bisection on its own (no runtime), then a short real run of
// memory-held and memory-limit against runc and crun (runs=3) with the floor: positive Pss and cgroup charge,
// a smallest working limit between the bounds on the bisection's grid, the JSON keys, and nothing left behind.
import Bench
import DrydockKit
import Foundation
import Testing

@Suite(.serialized) struct BenchMemoryTests {
  /// Why the runtimes cannot be benchmarked here, or nil when they can (as BenchIntegrationTests).
  static let skipReason: String? = {
    guard getuid() == 0 else { return "needs root" }
    for name in ["runc", "crun"] where !HostInfo.binaryExists(name) { return "\(name) is not installed" }
    guard HostInfo.binaryExists("cc") else { return "no C compiler (cc) for the floor and measure helpers" }
    let host = HostInfo.current()
    if host.cgroupMode == .hybrid && !host.unifiedControllers.isEmpty {
      return
        "crun 1.8.1 refuses a hybrid host with controllers on cgroup2 (\(host.unifiedControllers)): run scripts/setup"
    }
    guard HostInfo.cgroupMounts().contains(where: { $0.controllers.contains("memory") || $0.version == 2 }) else {
      return "no memory cgroup controller"
    }
    return nil
  }()

  /// On the grid the bisection walks: a power of two, or one plus a multiple of an eighth of the octave below.
  static func onGrid(_ kb: Int, stepsPerOctave: Int = 8) -> Bool {
    let octave = 1 << Int(log2(Double(kb)).rounded(.down))
    return kb % 4 == 0 && (kb - octave) % Swift.max(4, octave / stepsPerOctave) == 0
  }

  @Test func bisectionFindsTheThresholdOnItsGrid() {
    for threshold in [33, 100, 1000, 2600, 40000] {
      let search = MemoryLimitBisection.search(lowerKB: 32, upperKB: 65536, stepsPerOctave: 8, repeats: 3) { kb in
        MemoryLimitStep(limitKB: kb, works: kb >= threshold, runs: kb >= threshold ? 3 : 1)
      }
      let smallest = search.smallestWorkingKB ?? 0
      let largest = search.largestFailingKB ?? 0
      #expect(smallest >= threshold && largest < threshold, "threshold \(threshold): \(largest)..\(smallest)")
      // Within an eighth of an octave: the resolution asked for.
      #expect(Double(smallest - largest) <= Double(largest) / 8 + 4, "threshold \(threshold): \(largest)..\(smallest)")
      #expect(Self.onGrid(smallest), "\(smallest)")
      #expect(search.steps.first?.limitKB == 65536 && search.steps.dropFirst().first?.limitKB == 32)
      #expect(search.steps.count <= 12, "\(search.steps.map(\.limitKB))")
    }
    let never = MemoryLimitBisection.search(lowerKB: 32, upperKB: 65536) {
      MemoryLimitStep(limitKB: $0, works: false, runs: 1)
    }
    #expect(never.smallestWorkingKB == nil && never.steps.count == 1)
    let always = MemoryLimitBisection.search(lowerKB: 32, upperKB: 65536) {
      MemoryLimitStep(limitKB: $0, works: true, runs: 3)
    }
    #expect(always.smallestWorkingKB == 32 && always.largestFailingKB == nil && always.steps.count == 2)
  }

  @Test(.enabled(if: skipReason == nil, Comment(rawValue: skipReason ?? "")), .timeLimit(.minutes(2)))
  func heldMemoryAndSmallestLimitOfRuncAndCrun() throws {
    let runtimes = try ["runc", "crun"].map { try RuntimeUnderTest.probe($0) }
    let directory = try #require(ScenarioLoader.defaultDirectory())
    let scenarios = try ScenarioLoader.select(
      ["memory-held", "memory-limit"], from: ScenarioLoader.load(directory: directory))
    var configuration = BenchConfiguration(runtimes: runtimes, scenarios: scenarios)
    configuration.runs = 3
    configuration.warmup = 1
    let started = ProcessRunner.monotonicNanoseconds()
    let report = try BenchRunner(configuration: configuration).run()
    let seconds = Double(ProcessRunner.monotonicNanoseconds() - started) / 1e9
    #expect(seconds < 60, "the memory scenarios took \(seconds) s")

    // Held: create and held per runtime, back-to-back only; the floor has no create/start split.
    let held = report.results.filter { $0.scenario == "memory-held" }
    #expect(
      held.map { "\($0.runtime)/\($0.phase)" }.sorted() == ["crun/create", "crun/held", "runc/create", "runc/held"])
    #expect(held.allSatisfy { $0.mode == "back-to-back" })
    for result in held where result.phase == "held" {
      let label = "\(result.runtime): \(result.firstFailure ?? "")"
      #expect(result.n == 3 && result.failures == 0, "\(label)")
      #expect((result.pssKilobytes?.min ?? 0) > 0, "\(label)")
      #expect((result.cgroupKilobytes?.min ?? 0) > 0, "\(label)")
      #expect((result.heldProcesses?.min ?? 0) >= 1, "\(label)")
      #expect(result.wallMilliseconds == nil, "the held reading is not a timed call")
    }
    // runc's waiting `runc init` is a Go program: several MB, where crun's waiting process is well under.
    let pss = { (name: String) in held.first { $0.runtime == name && $0.phase == "held" }?.pssKilobytes?.median ?? 0 }
    #expect(pss("runc") > pss("crun"))

    // Limit: one bisection per runtime and the floor, each with an answer between the bounds on the grid.
    let limits = report.results.filter { $0.scenario == "memory-limit" }
    #expect(limits.map(\.runtime) == ["runc", "crun", "floor"])
    for result in limits {
      let search = try #require(result.memoryLimit, "\(result.runtime)")
      let label = "\(result.runtime): \(search.steps)"
      let smallest = try #require(search.smallestWorkingKB, "\(label)")
      #expect(smallest >= search.lowerBoundKB && smallest <= search.upperBoundKB, "\(label)")
      #expect(search.lowerBoundKB == 32 && search.upperBoundKB == 65536)
      #expect(Self.onGrid(smallest), "\(label)")
      #expect(search.steps.contains { !$0.works }, "\(label)")
      #expect(search.steps.filter(\.works).allSatisfy { $0.runs == 3 }, "\(label)")
      // The samples are the three runs at the limit found.
      #expect(result.n == 3 && result.failures == 0, "\(label)")
    }

    let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
    let results = try #require(json["results"] as? [[String: Any]])
    let heldJSON = try #require(results.first { $0["phase"] as? String == "held" })
    for key in ["pss_kb", "cgroup_kb", "held_processes"] { #expect(heldJSON[key] != nil, "\(key)") }
    let limitJSON = try #require(
      results.first { $0["scenario"] as? String == "memory-limit" }?["memory_limit"] as? [String: Any])
    for key in ["smallest_working_kb", "largest_failing_kb", "steps", "repeats"] {
      #expect(limitJSON[key] != nil, "\(key)")
    }

    let table = MarkdownTable.render(report)
    #expect(table.contains("Memory held between create and start"))
    #expect(table.contains("floor: n/a"))
    #expect(table.contains("Smallest memory limit"))

    // Nothing left: no cgroup of this run in any hierarchy.
    for mount in HostInfo.cgroupMounts() {
      let leftovers =
        (try? FileManager.default.contentsOfDirectory(atPath: mount.path))?
        .filter { $0.hasPrefix("drydock-bench-\(getpid())-") } ?? []
      #expect(leftovers.isEmpty, "\(mount.path): \(leftovers)")
    }
  }
}
