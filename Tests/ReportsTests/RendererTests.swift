// Renderers against golden files in Tests/Fixtures/reports-golden (outside the target, so SwiftPM does not
// treat them as resources). Regenerate after an intended change with DRYDOCK_UPDATE_GOLDEN=1.
import Bench
import Foundation
import Testing

@testable import Reports

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct RendererTests {
  static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reports-golden").path

  static func gatedModel() -> ReportModel {
    let baseline = Fixtures.bench()
    let thresholds = Thresholds(metrics: nil)
    let current = Fixtures.bench(cpuScale: ["hull": 1.3])
    let findings = Gate.confirm(
      Gate.compare(current: current, baseline: baseline, thresholds: thresholds),
      reruns: [current], baseline: baseline, thresholds: thresholds)
    return Fixtures.model(
      gate: GateReport(baselineStartedAt: "2026-11-28T12:00:00Z", hostDifferences: [], reruns: 1, findings: findings))
  }

  func check(_ rendered: String, _ name: String) throws {
    let path = Self.goldenDirectory + "/" + name
    if ProcessInfo.processInfo.environment["DRYDOCK_UPDATE_GOLDEN"] == "1" {
      try rendered.write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    let golden = try String(contentsOfFile: path, encoding: .utf8)
    if rendered != golden {
      let got = rendered.split(separator: "\n", omittingEmptySubsequences: false)
      let want = golden.split(separator: "\n", omittingEmptySubsequences: false)
      let line = Array(zip(got, want)).firstIndex { $0.0 != $0.1 } ?? min(got.count, want.count)
      Issue.record(
        "\(name) differs from the golden file at line \(line + 1):\n got: \(line < got.count ? got[line] : "<end>")\nwant: \(line < want.count ? want[line] : "<end>")"
      )
    }
  }

  @Test func markdownMatchesGolden() throws { try check(MarkdownReport.render(Self.gatedModel()), "report.md") }
  @Test func junitMatchesGolden() throws { try check(JUnitReport.render(Self.gatedModel()), "junit.xml") }
  @Test func htmlMatchesGolden() throws { try check(HTMLReport.render(Self.gatedModel()), "index.html") }
  @Test func jsonMatchesGolden() throws { try check(try JSONReport.render(Self.gatedModel()), "report.json") }

  @Test func verdictFailsOnAConfirmedRegressionAndGateRuntimeMUSTFailures() {
    let model = Self.gatedModel()
    #expect(!model.verdict.passed)
    #expect(model.verdict.reasons.contains { $0.hasPrefix("bench regression: hull run/run") })
    #expect(model.verdict.reasons.contains { $0.contains("hull fails MUST case case-06") })
    let clean = ReportModel.build(
      Merged(bench: Fixtures.bench(), conformance: nil, traces: [], notes: []),
      inputs: [], generatedAt: "t")
    #expect(clean.verdict.passed)
  }

  @Test func htmlIsSelfContainedWithEveryChart() {
    let html = HTMLReport.render(Self.gatedModel())
    for chart in [
      "latency-run", "latency-lifecycle/total", "latency-exec", "phases-lifecycle", "overhead",
      "conformance-summary", "conformance-matrix", "syscall-totals", "syscall-diff-create", "throughput",
    ] {
      #expect(html.contains("data-chart=\"\(chart)\""), "missing chart \(chart)")
    }
    #expect(!html.contains("<script"))
    #expect(
      !html.contains("http://")
        || html.components(separatedBy: "http://").count - 1 == html.components(
          separatedBy: "xmlns=\"http://www.w3.org/2000/svg\""
        ).count - 1)
    #expect(html.contains("expected &lt;0&gt;, got &quot;1&quot; &amp; more"))
  }

  @Test func junitIsWellFormedAndCountsFailures() throws {
    let xml = JUnitReport.render(Self.gatedModel())
    let document = try XMLDocument(xmlString: xml)
    let root = try #require(document.rootElement())
    #expect(root.name == "testsuites")
    let failures = try document.nodes(forXPath: "//failure").count
    #expect(root.attribute(forName: "failures")?.stringValue == String(failures))
    let regressions = try #require(Self.gatedModel().bench?.gate).regressions.count
    #expect(regressions == 6)  // hull's CPU: run in both modes, the four lifecycle phases (exec stays inside the band)
    #expect(try document.nodes(forXPath: "//testsuite[@name='bench gate']//failure").count == regressions)
    #expect(try document.nodes(forXPath: "//testsuite[@name='conformance runc']//failure").count == 2)
  }

  @Test func markdownStaysUnderTheCommentLimit() {
    var model = Self.gatedModel()
    var doc = model.conformance!
    doc.runtimes[0].cases = (0..<3000).map {
      ConformanceCaseEntry(
        id: "c\($0)", area: "a", status: "fail", requirement: "r", level: "MUST",
        message: String(repeating: "x", count: 250))
    }
    model.conformance = doc
    #expect(MarkdownReport.render(model).count < 65_536)
  }

  @Test func traceFilesInSeveralShapesAreRead() throws {
    let shapes = [
      #"{"runtime":"crun","phase":"create","total_syscalls":3,"syscalls":{"read":2,"write":1},"processes":[{"syscalls":3}]}"#,
      #"[{"runtime":"crun","phase":"start","syscalls":[{"name":"read","count":4}]}]"#,
      #"{"traces":[{"runtime":"runc","phase":"create","syscalls":{"read":{"count":7}}}]}"#,
    ]
    let records = try shapes.flatMap { try ReportInputs.classify(Data($0.utf8), path: "x.json").traces }
    #expect(records.map(\.totalSyscalls) == [3, 4, 7])
    #expect(records[2].syscalls == ["read": 7])
    #expect(try ReportInputs.classify(Data(#"{"something":"else"}"#.utf8), path: "x.json").files.isEmpty)
  }
}
