// Levels on synthetic reports: a ratio within its limit passes, one above fails, the floor is taken off both
// sides when asked, and a runtime or reference missing from the run is "not measured", never a pass.
import Bench
import Foundation
import Testing

@Suite struct LevelsTests {
  // Fixtures: run CPU hull 7.5, crun 18.5, runc 45.3, floor 6.1 (back-to-back).
  func limit(
    _ runtime: String = "hull", reference: String = "crun", metric: String = "cpu_ms", aboveFloor: Bool? = nil,
    max: Double
  ) -> LevelLimit {
    LevelLimit(
      runtime: runtime, reference: reference, scenario: "run", phase: "run", metric: metric,
      aboveFloor: aboveFloor, maxRatio: max)
  }

  @Test func ratioWithinAndAboveItsLimit() throws {
    let findings = Levels.check(Fixtures.bench(), limits: [limit(max: 0.5), limit(max: 0.3)])
    let ratio = try #require(findings[0].ratio)
    #expect(abs(ratio - 7.5 / 18.5) < 1e-9)
    #expect(findings.map(\.status) == [.ok, .exceeded])
    #expect(!Levels.passed(findings))
    #expect(Levels.summaryLines(findings)[1].hasPrefix("level EXCEEDED: hull/crun run/run back-to-back cpu_ms"))
  }

  @Test func aboveFloorTakesTheFloorOffBothSides() throws {
    let findings = Levels.check(Fixtures.bench(), limits: [limit(aboveFloor: true, max: 0.2)])
    #expect(findings[0].floorValue == 6.1)
    let ratio = try #require(findings[0].ratio)
    #expect(abs(ratio - (7.5 - 6.1) / (18.5 - 6.1)) < 1e-9)
    #expect(Levels.passed(findings))
    // The same run slowed down for hull only: the gate fails.
    let slower = Levels.check(Fixtures.bench(cpuScale: ["hull": 1.5]), limits: [limit(aboveFloor: true, max: 0.2)])
    #expect(slower[0].status == .exceeded)
  }

  @Test func missingRuntimeOrFloorIsNotMeasured() {
    let findings = Levels.check(Fixtures.bench(), limits: [limit("youki", max: 1), limit(reference: "kata", max: 1)])
    #expect(findings.allSatisfy { $0.status == .notMeasured && $0.ratio == nil })
    var noFloor = Fixtures.bench()
    noFloor.results.removeAll { $0.runtime == "floor" }
    #expect(Levels.check(noFloor, limits: [limit(aboveFloor: true, max: 1)])[0].status == .notMeasured)
    #expect(Levels.passed(findings))
  }

  @Test func committedLevelsParse() throws {
    let levels = try #require(try Thresholds.load(Fixtures.repository + "/bench/thresholds.json").levels)
    #expect(
      levels.contains {
        $0.runtime == "hull" && $0.reference == "crun" && $0.scenario == "run" && $0.aboveFloor == true
      })
  }
}
