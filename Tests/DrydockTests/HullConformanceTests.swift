// The whole conformance suite against this repository's hull (built by `swift build` before the
// tests): every case the host supports must pass. drydock drives hull only through its CLI.
@testable import Conformance
import DrydockKit
import Foundation
import Testing

@Suite struct HullConformanceTests {
  /// .build/debug/hull beside the test bundle (scripts/test builds every product first).
  static var hullPath: String? {
    guard let root = BundleFactory.repositoryRoot() else { return nil }
    let path = root + "/.build/debug/hull"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  @Test(.enabled(if: getuid() == 0 && hullPath != nil, "needs root and .build/debug/hull (swift build --product hull)"))
  func hullPassesEverySupportedCase() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let cases = try CaseLoader.loadDirectory(root + "/conformance/cases")
    #expect(cases.count >= 150)
    let runtime = try RuntimeUnderTest.probe(try #require(Self.hullPath))
    let work = NSTemporaryDirectory() + "drydock-hull-conformance-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: work) }
    var options = SuiteOptions(workDirectory: work, probeSource: root + "/conformance/probe/probe.c")
    options.jobs = 2
    options.callTimeout = 15
    let suite = try SuiteRunner.run(cases: cases, runtimes: [runtime], options: options)
    let results = suite.runtimes[0].results
    for (c, r) in zip(suite.cases, results) where r.status == .fail {
      Issue.record("hull \(c.id): \(r.message)")
    }
    #expect(results.filter { $0.status == .pass }.count >= 250)
    // Skips are decided by the host alone: each names what the host lacks.
    for r in results where r.status == .skip { #expect(!r.message.isEmpty) }
  }
}
