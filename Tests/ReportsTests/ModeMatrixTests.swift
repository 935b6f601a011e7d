// Conformance results of several hosts (this hybrid host and a v2 drydock vm) are kept apart and shown side by
// side; a gated runtime's MUST failure on any of them fails the verdict and names the host.
import Bench
import DrydockKit
import Foundation
import Testing

@testable import Reports

@Suite struct ModeMatrixTests {
  static let hybrid = HostLabel(
    kernel: "6.18.44", cgroupMode: "hybrid", initProcess: "process_api", machine: "host", accelerator: nil)
  static let v2 = HostLabel(
    kernel: "6.1.0-57-amd64", cgroupMode: "unified", initProcess: "init", machine: "drydock-vm", accelerator: "tcg")

  @Test func resultsOfTwoHostsStaySeparateAndSideBySide() throws {
    var here = Fixtures.conformance()
    here.host = Self.hybrid
    var guest = Fixtures.conformance()
    guest.host = Self.v2
    guest.runtimes[0].cases[0].status = "fail"  // hull fails case-01 on v2 only
    let inputs = ReportInputs(bench: [], conformance: [here, guest], traces: [], files: ["a", "b"])
    let merged = try Merge.all(inputs)
    #expect(merged.conformanceByHost.count == 2)
    #expect(merged.conformance?.host == Self.hybrid)
    let model = ReportModel.build(merged, inputs: inputs.files, generatedAt: "t", gateRuntime: "hull")
    let modes = try #require(model.modes)
    #expect(modes.map(\.host) == [Self.hybrid, Self.v2])
    let hullHere = try #require(modes[0].cells.first { $0.runtime == "hull" })
    let hullV2 = try #require(modes[1].cells.first { $0.runtime == "hull" })
    #expect(hullV2.fail == hullHere.fail + 1)
    #expect(
      model.verdict.reasons.contains { $0.contains("case-01 on v2, kernel 6.1.0-57-amd64") && $0.contains("(TCG)") })
    let markdown = MarkdownReport.render(model)
    #expect(markdown.contains("Conformance by host") && markdown.contains("drydock-vm (TCG)"))
    #expect(HTMLReport.render(model).contains("<table class=\"modes\">"))
  }

  @Test func oneHostHasNoMatrix() throws {
    var here = Fixtures.conformance()
    here.host = Self.hybrid
    let merged = try Merge.all(ReportInputs(bench: [], conformance: [here, here], traces: [], files: []))
    #expect(merged.conformanceByHost.isEmpty)
    #expect(ReportModel.build(merged, inputs: [], generatedAt: "t").modes == nil)
  }

  @Test func tcgAndHardwareTimingsDoNotCompare() {
    var baseline = Fixtures.bench().environment
    var current = baseline
    baseline.host = Self.hybrid
    current.host = Self.v2
    #expect(
      Gate.hostDifferences(baseline: baseline, current: current, fields: []).contains {
        $0.hasPrefix("timings: native -> tcg")
      })
  }
}
