// Gating on synthetic reports: an injected regression is caught and confirmed, noise within the bands is
// not, a regression that a re-run does not reproduce stays unconfirmed.
import Bench
import DrydockKit
import Foundation
import Testing

@Suite struct GateTests {
  let thresholds = try! Thresholds.load(Fixtures.repository + "/bench/thresholds.json")

  @Test func committedThresholdsParseAndSkipTheFloor() {
    #expect(
      thresholds.band(metric: "cpu_ms", runtime: "hull", scenario: "run", phase: "run", mode: "back-to-back")?.relative
        == 0.10)
    #expect(
      thresholds.band(metric: "wall_ms", runtime: "hull", scenario: "run", phase: "run", mode: "isolated")?.relative
        == 0.60)
    #expect(
      thresholds.band(metric: "wall_ms", runtime: "hull", scenario: "run", phase: "run", mode: "back-to-back")?.relative
        == 0.40)
    #expect(
      thresholds.band(metric: "wall_ms", runtime: "floor", scenario: "run", phase: "run", mode: "isolated") == nil)
    #expect(thresholds.effectiveConfirmReruns == 1)
  }

  @Test func injectedCPURegressionIsCaughtAndConfirmed() {
    let baseline = Fixtures.bench()
    let regressed = Fixtures.bench(cpuScale: ["hull": 1.3])
    let findings = Gate.compare(current: regressed, baseline: baseline, thresholds: thresholds)
    let suspected = findings.filter { $0.status == .suspected }
    #expect(!suspected.isEmpty)
    #expect(suspected.allSatisfy { $0.runtime == "hull" && $0.metric == "cpu_ms" })
    #expect(Gate.suspects(findings).scenarios == ["run", "lifecycle"])  // the fixture's exec CPU is not scaled
    let confirmed = Gate.confirm(
      findings, reruns: [Fixtures.bench(cpuScale: ["hull": 1.28])], baseline: baseline, thresholds: thresholds)
    let report = GateReport(baselineStartedAt: "t", hostDifferences: [], reruns: 1, findings: confirmed)
    #expect(!report.passed)
    #expect(report.regressions.count == suspected.count)
    #expect(report.regressions.allSatisfy { $0.reruns.count == 1 })
  }

  @Test func wallRegressionBeyondTheLooseBandIsCaught() {
    let findings = Gate.compare(
      current: Fixtures.bench(scale: ["crun": 2.0]), baseline: Fixtures.bench(), thresholds: thresholds)
    let suspected = findings.filter { $0.status == .suspected }
    #expect(suspected.contains { $0.runtime == "crun" && $0.metric == "wall_ms" && $0.mode == "isolated" })
    #expect(suspected.allSatisfy { $0.runtime == "crun" })
  }

  @Test func moreFailedTrialsAreARegression() {
    var current = Fixtures.bench()
    let index = current.results.firstIndex { $0.runtime == "runc" && $0.scenario == "exec" }!
    current.results[index].failures = 10
    let findings = Gate.compare(current: current, baseline: Fixtures.bench(), thresholds: thresholds)
    #expect(findings.filter { $0.status == .suspected }.map(\.metric) == ["failures"])
  }

  /// 200 noisy re-measurements: wall medians ±30%, CPU ±4%, RSS ±2%, all inside the committed bands.
  @Test func pureNoiseIsNotARegression() {
    var generator = SplitMix64(seed: 8)
    func jitter(_ amplitude: Double) -> Double { 1 + amplitude * (Double(generator.next() % 2001) / 1000 - 1) }
    let baseline = Fixtures.bench()
    for _ in 0..<200 {
      var noisy = baseline
      for i in noisy.results.indices {
        let w = jitter(0.30)
        let c = jitter(0.04)
        let r = jitter(0.02)
        noisy.results[i].wallMilliseconds = noisy.results[i].wallMilliseconds.map { scaled($0, w) }
        noisy.results[i].cpuMilliseconds = noisy.results[i].cpuMilliseconds.map { scaled($0, c) }
        noisy.results[i].rssKilobytes = noisy.results[i].rssKilobytes.map { scaled($0, r) }
      }
      let findings = Gate.compare(current: noisy, baseline: baseline, thresholds: thresholds)
      #expect(
        findings.allSatisfy { $0.status != .suspected },
        "\(findings.filter { $0.status == .suspected }.map { Gate.describe($0) })")
    }
  }

  @Test func aRegressionTheReRunDoesNotReproduceIsUnconfirmed() {
    let baseline = Fixtures.bench()
    let findings = Gate.compare(
      current: Fixtures.bench(cpuScale: ["hull": 1.5]), baseline: baseline, thresholds: thresholds)
    let confirmed = Gate.confirm(
      findings, reruns: [Fixtures.bench(cpuScale: ["hull": 1.02])], baseline: baseline, thresholds: thresholds)
    #expect(confirmed.contains { $0.status == .unconfirmed })
    #expect(!confirmed.contains { $0.status == .regression })
    #expect(GateReport(baselineStartedAt: "t", hostDifferences: [], reruns: 1, findings: confirmed).passed)
  }

  @Test func ciSeparationKeepsAMovedButOverlappingMedianOK() throws {
    var baseline = Fixtures.bench()
    var current = baseline
    let i = current.results.firstIndex { $0.runtime == "hull" && $0.scenario == "run" && $0.mode == "back-to-back" }!
    // Median 20% above a 10% band, but both intervals wide and overlapping: noise, not a regression.
    baseline.results[i].cpuMilliseconds!.ci95 = [6.0, 9.5]
    current.results[i].cpuMilliseconds!.median = 9.0
    current.results[i].cpuMilliseconds!.ci95 = [7.0, 11.0]
    let finding = Gate.compare(current: current, baseline: baseline, thresholds: thresholds)
      .first { $0.runtime == "hull" && $0.scenario == "run" && $0.mode == "back-to-back" && $0.metric == "cpu_ms" }
    #expect(try #require(finding).status == .ok)
  }

  @Test func improvementsAndNewSeriesAreReported() {
    var current = Fixtures.bench(cpuScale: ["hull": 0.5])
    current.results.append(Fixtures.result("hull", "kill", "kill", "back-to-back", wall: 3, cpu: 2, rss: 2000))
    let findings = Gate.compare(current: current, baseline: Fixtures.bench(), thresholds: thresholds)
    #expect(findings.contains { $0.status == .improved && $0.runtime == "hull" && $0.metric == "cpu_ms" })
    #expect(findings.contains { $0.status == .new && $0.scenario == "kill" })
  }

  @Test func hostDifferencesAreNamed() {
    var other = Fixtures.environment()
    other.kernel = "5.10.0"
    other.cpus = 4
    let differences = Gate.hostDifferences(
      baseline: Fixtures.environment(), current: other, fields: Thresholds.defaultHostFields)
    #expect(differences == ["kernel: 4.19.0-test -> 5.10.0", "cpus: 2 -> 4"])
  }

  @Test func badThresholdsAreRejectedWithThePath() {
    #expect(
      #expect(throws: HarnessError.self) {
        try Thresholds.decode(Data(#"{"metrics":{"cpu_ms":{"statistic":"p42"}}}"#.utf8), path: "t.json")
      }?.domain == .bench)
    #expect(
      #expect(throws: HarnessError.self) {
        try Thresholds.decode(Data(#"{"metrics":{"cpu_ms":{"relative":-1}}}"#.utf8))
      }?.domain == .bench)
  }

  func scaled(_ s: Summary, _ f: Double) -> Summary {
    Summary(
      median: s.median * f, p90: s.p90 * f, p99: s.p99 * f, min: s.min * f, max: s.max * f, mean: s.mean * f,
      ci95: s.ci95.map { $0 * f }, p25: s.p25.map { $0 * f }, p75: s.p75.map { $0 * f })
  }
}
