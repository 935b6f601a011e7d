// #20's memory gate on the static hull users install: the peak RSS of one `run` of /bin/true, which its code
// layout sets (Package.swift links the functions of linker/hull-functions.order together).
import Bench
import DrydockKit
import Foundation
import Testing

@testable import Tracer

#if canImport(Glibc)
import Glibc
#endif

extension TracerTests {
  @Suite("hull's memory level", .enabled(if: TracerFixture.isRoot, "needs root"))
  struct HullLevelTests {
    @Test("hull's peak RSS per run of /bin/true stays within bench/thresholds.json's rss_levels")
    func hullPeakRSS() throws {
      let (release, limit) = try TracerFixture.releaseHullAndLevel("rss_levels", "hull run")
      let root = try #require(BundleFactory.repositoryRoot())
      let bundle = try TraceBundle(source: try TracerFixture.shared.bundlePath(), label: "drydock-rss")
      defer { bundle.remove() }
      let directory = try bundle.makeConfig(id: "rss", args: ["/bin/true"])
      // Started from bench/floor/measure.c: a child the test spawned itself would report the test's own peak.
      let measure = try Floor.build("measure", sourceDirectory: root + "/bench/floor", into: bundle.path).path
      var peaks: [Int] = []
      for i in 0..<3 {
        let usage = bundle.path + "/usage-\(i)"
        let result = try ProcessRunner.run(
          [measure, usage, release, "--root", bundle.stateRoot, "run", "--bundle", directory, "rss-\(i)"], timeout: 60)
        try #require(result.succeeded, "\(result.summary)")
        peaks.append(try #require(MeasuredUsage.read(usage), "measure wrote no \(usage)").maxRSSKilobytes)
      }
      // The page cache aside (the first run may find hull's pages out of it), one layout makes one peak.
      let peak = peaks.min()!
      #expect(
        peak <= limit,
        "hull's peak RSS \(peaks) KB, level \(limit) KB: has linker/hull-functions.order gone stale? scripts/function-order rewrites it"
      )
    }
  }
}
