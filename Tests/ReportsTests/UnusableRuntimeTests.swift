// A runtime the preflight found unusable reaches every output of drydock report: a banner at the top of
// report.md and index.html, a preflight testsuite in junit.xml, a list in report.json, and the verdict
// fails only when that runtime is the gated one or --require-all was given.
import Bench
import DrydockKit
import Foundation
import Testing

@testable import Reports

@Suite struct UnusableRuntimeTests {
  static let crun = RuntimeUsability(
    name: "crun", path: "/usr/bin/crun", version: "crun 1.8.1", globalArgs: [],
    usable: false, reason: "`run` of busybox /bin/true failed (exit status 1): cgroups in hybrid mode not supported",
    hostFix: "bind hugetlb to a v1 hierarchy")

  /// The conformance fixture with crun's cases turned into the skips an unusable runtime gets.
  static func merged() throws -> Merged {
    var conformance = Fixtures.conformance()
    let index = try #require(conformance.runtimes.firstIndex { $0.name == "crun" })
    conformance.runtimes[index].unusable = crun
    conformance.runtimes[index].cases = conformance.runtimes[index].cases.map { entry in
      var skipped = entry
      skipped.status = "skip"
      skipped.message = "runtime unusable on this host"
      return skipped
    }
    return Merged(bench: Fixtures.bench(), conformance: conformance, traces: [], notes: [])
  }

  @Test func comparisonRuntimeIsABannerNotAFailure() throws {
    let model = ReportModel.build(try Self.merged(), inputs: [], generatedAt: "t", gateRuntime: "hull")
    #expect(model.unusable == [Self.crun])
    #expect(!model.verdict.reasons.contains { $0.contains("crun") }, "\(model.verdict.reasons)")
    let markdown = MarkdownReport.render(model)
    let banner = try #require(markdown.range(of: "crun is unusable on this host"))
    // At the top: before any section of results.
    #expect(markdown[..<banner.lowerBound].split(separator: "\n").count <= 3, "\(markdown.prefix(400))")
    #expect(markdown.contains("Host fix:"))
    let html = HTMLReport.render(model)
    let htmlBanner = try #require(html.range(of: "class=\"unusable\""))
    #expect(html[..<htmlBanner.lowerBound].components(separatedBy: "<h2").count == 1, "banner after a section")
    let junit = JUnitReport.render(model)
    #expect(junit.contains("testsuite name=\"preflight\"") && junit.contains("<skipped message=\"crun is unusable"))
    let json = try JSONReport.render(model)
    #expect(json.contains("\"unusable\"") && json.contains("\"host_fix\""))
    // The conformance entry round-trips with its usability.
    let data = try JSONEncoder().encode(try #require(model.conformance))
    let decoded = try JSONDecoder().decode(ConformanceDoc.self, from: data)
    #expect(decoded.runtimes.first { $0.name == "crun" }?.unusable?.reason == Self.crun.reason)
  }

  @Test func gatedOrRequiredRuntimeFailsTheVerdict() throws {
    let gated = ReportModel.build(try Self.merged(), inputs: [], generatedAt: "t", gateRuntime: "crun")
    #expect(!gated.verdict.passed)
    #expect(gated.verdict.reasons.contains { $0.hasPrefix("the gated runtime crun is unusable") })
    #expect(JUnitReport.render(gated).contains("<failure message=\"crun is unusable"))
    let required = ReportModel.build(
      try Self.merged(), inputs: [], generatedAt: "t", gateRuntime: "hull", requireAll: true)
    #expect(!required.verdict.passed)
    #expect(required.verdict.reasons.contains { $0.hasPrefix("--require-all: crun is unusable") })
  }

  @Test func benchRecordsUnusableRuntimes() throws {
    var bench = Fixtures.bench()
    bench.environment.unusable = [Self.crun]
    let decoded = try JSONDecoder().decode(BenchReport.self, from: try bench.jsonData())
    #expect(decoded.environment.unusable == [Self.crun])
    let model = ReportModel.build(
      Merged(bench: decoded, conformance: nil, traces: [], notes: []), inputs: [], generatedAt: "t")
    #expect(model.unusable?.map(\.name) == ["crun"])
  }
}
