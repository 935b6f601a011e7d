// The bench additions this suite's gate relies on: the committed scenarios parse (throughput, no-netns), the
// usage line of bench/floor/measure.c with and without its counts, and counts gated tightly.
import Bench
import Foundation
import Testing

@Suite struct BenchExtrasTests {
  static let repository = Fixtures.repository

  @Test func committedScenariosParse() throws {
    let scenarios = try ScenarioLoader.load(directory: Self.repository + "/bench/scenarios")
    let byName = Dictionary(uniqueKeysWithValues: scenarios.map { ($0.name, $0) })
    let one = try #require(byName["throughput-1"])
    let n = try #require(byName["throughput-n"])
    #expect(one.kind == .throughput && one.workers(cpus: 8) == 1 && one.batchSize == 20)
    #expect(n.workers(cpus: 8) == 8 && n.workers(cpus: 2) == 2)
    #expect(byName["throughput-2"]?.workers(cpus: 8) == 2)
    #expect(one.modes == ["back-to-back"] && one.runs == 20)
    #expect(byName["run-no-netns"]?.network == false && byName["run-no-netns"]?.runsFloor == false)
    #expect(byName["run-seccomp"]?.seccompProfile == "bench/seccomp/docker-default.json")
    let systemd = try #require(byName["run-systemd"])
    #expect(systemd.systemdCgroup == true && systemd.kind == .run && !systemd.runsFloor)
    #expect(ScenarioLoader.unmetNeed(systemd, hostRunsSystemd: false)?.contains("--init systemd") == true)
    #expect(
      ScenarioLoader.unmetNeed(systemd, hostRunsSystemd: true) == nil
        && ScenarioLoader.unmetNeed(one, hostRunsSystemd: false) == nil)
    let profile = try BenchRunner.seccompObject("bench/seccomp/docker-default.json") as? [String: Any]
    #expect(profile?["defaultAction"] as? String == "SCMP_ACT_ERRNO")
    #expect(ScenarioKind.throughput.phases == ["batch"])
  }

  @Test func usageLinesWithAndWithoutCounts() throws {
    let directory = NSTemporaryDirectory() + "drydock-usage-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/usage"
    try "1000000 2000 3000 4096 416 12\n".write(toFile: path, atomically: true, encoding: .utf8)
    let usage = try #require(MeasuredUsage.read(path))
    #expect(usage.maxRSSKilobytes == 4096 && usage.pageFaults == 416 && usage.contextSwitches == 12)
    try "1000000 2000 3000 4096\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(MeasuredUsage.read(path)?.pageFaults == nil)
    try "1 2 3 4 5\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(MeasuredUsage.read(path) == nil)
  }

  @Test func pageFaultsAreGatedTightly() throws {
    let thresholds = try Thresholds.load(Self.repository + "/bench/thresholds.json")
    let baseline = Fixtures.bench()
    var current = baseline
    let i = current.results.firstIndex { $0.runtime == "crun" && $0.scenario == "run" && $0.mode == "back-to-back" }!
    let faults = try #require(current.results[i].pageFaults)
    // +8%: inside the wall band, outside the 5% + 10 faults band.
    current.results[i].pageFaults = Fixtures.summary(faults.median * 1.08, noise: 0.005)
    let suspected = Gate.compare(current: current, baseline: baseline, thresholds: thresholds).filter {
      $0.status == .suspected
    }
    #expect(suspected.map(\.metric) == ["page_faults"])
  }
}
