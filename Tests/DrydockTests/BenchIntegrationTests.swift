// A short real benchmark (runs=5) of runc and crun with the floor: every result complete and positive,
// the JSON in the documented shape, and nothing left behind (cgroups, mounts, work directory).
import Bench
import DrydockKit
import Foundation
import Testing

@Suite(.serialized) struct BenchIntegrationTests {
  /// Why the runtimes cannot be benchmarked here, or nil when they can.
  static let skipReason: String? = {
    guard getuid() == 0 else { return "needs root" }
    for name in ["runc", "crun"] where !HostInfo.binaryExists(name) { return "\(name) is not installed" }
    guard HostInfo.binaryExists("cc") else { return "no C compiler (cc) for the floor and measure helpers" }
    let host = HostInfo.current()
    if host.cgroupMode == .hybrid && !host.unifiedControllers.isEmpty {
      return
        "crun 1.8.1 refuses a hybrid host with controllers on cgroup2 (\(host.unifiedControllers)): run scripts/setup"
    }
    return nil
  }()

  @Test(.enabled(if: skipReason == nil, Comment(rawValue: skipReason ?? "")), .timeLimit(.minutes(5)))
  func shortBenchOfRuncAndCrun() throws {
    let runtimes = try ["runc", "crun"].map { try RuntimeUnderTest.probe($0) }
    let directory = try #require(ScenarioLoader.defaultDirectory())
    let all = try ScenarioLoader.select([], from: ScenarioLoader.load(directory: directory))
    #expect(
      all.map(\.name) == [
        "run", "run-no-netns", "run-seccomp", "run-systemd", "lifecycle", "exec", "state", "kill",
        "throughput-1", "throughput-2", "throughput-n", "memory-held", "memory-limit",
      ])
    // The latency scenarios only: the throughput ones start 20 containers per trial.
    let scenarios = all.filter { ["run", "run-seccomp", "lifecycle", "exec", "state", "kill"].contains($0.name) }
    var configuration = BenchConfiguration(runtimes: runtimes, scenarios: scenarios)
    configuration.runs = 5
    configuration.warmup = 1
    configuration.isolationSleepMilliseconds = 20
    let report = try BenchRunner(configuration: configuration).run()

    // run: 2 modes x 3 participants; run-seccomp (no floor): 2 x 2; lifecycle: 4 phases x 2 modes x 2;
    // exec, state, kill: 2 x 2 each.
    #expect(report.results.count == 6 + 4 + 16 + 4 + 4 + 4)
    for result in report.results {
      let label = "\(result.runtime) \(result.scenario)/\(result.phase) \(result.mode): \(result.firstFailure ?? "")"
      #expect(result.n == 5, "\(label)")
      #expect(result.failures == 0, "\(label)")
      #expect((result.wallMilliseconds?.min ?? 0) > 0, "\(label)")
      #expect((result.cpuMilliseconds?.median ?? 0) > 0, "\(label)")
      #expect((result.rssKilobytes?.median ?? 0) > 0, "\(label)")
      if let wall = result.wallMilliseconds {
        #expect(wall.ci95[0] <= wall.median && wall.median <= wall.ci95[1], "\(label)")
        #expect(wall.min <= wall.median && wall.median <= wall.p90 && wall.p90 <= wall.p99, "\(label)")
      }
    }
    #expect(report.results.contains { $0.runtime == "floor" && $0.scenario == "run" })
    // The runtime's own peak RSS, not the test-bed's (see bench/floor/measure.c).
    let floorRSS = try #require(report.results.first { $0.runtime == "floor" }?.rssKilobytes?.median)
    #expect(floorRSS < 8000)

    // The documented JSON shape.
    let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
    let environment = try #require(json["environment"] as? [String: Any])
    for key in ["kernel", "cgroup_mode", "cpus", "load_before", "load_after", "runtimes"] {
      #expect(environment[key] != nil, "environment.\(key)")
    }
    let first = try #require((json["results"] as? [[String: Any]])?.first)
    for key in ["runtime", "scenario", "mode", "n", "wall_ms", "cpu_ms", "rss_kb"] {
      #expect(first[key] != nil, "\(key)")
    }
    let wall = try #require(first["wall_ms"] as? [String: Any])
    for key in ["median", "p90", "p99", "min", "ci95"] { #expect(wall[key] != nil, "wall_ms.\(key)") }

    let table = MarkdownTable.render(report)
    #expect(table.contains("| run | run | isolated | crun | 5 |"))

    // Nothing left: no cgroup of this run in any hierarchy, no bind mount, no work directory.
    let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
    #expect(!mounts.contains("/drydock-bench-"))
    for mount in HostInfo.cgroupMounts() {
      let leftovers =
        (try? FileManager.default.contentsOfDirectory(atPath: mount.path))?
        .filter { $0.hasPrefix("drydock-bench-\(getpid())-") } ?? []
      #expect(leftovers.isEmpty, "\(mount.path): \(leftovers)")
    }
  }
}
