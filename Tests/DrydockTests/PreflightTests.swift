import DrydockKit
import Foundation
import Testing

// The preflight tells a broken host from a broken runtime: a runtime that cannot run a trivial container is
// reported unusable with its own words and the host fix, and its conformance cases are neither passes nor
// failures. The broken runtime here is a real executable that behaves as crun 1.8 does on a hybrid host with
// controllers on cgroup2 (it answers --version as crun and refuses everything else with crun's message).
@testable import Conformance

@Suite(.serialized) struct PreflightTests {
  static var isRoot: Bool { getuid() == 0 }
  static var hasRunc: Bool { HostFeatures.which("runc") != nil }

  /// A directory holding an executable named `crun` that fails as crun does on a hybrid host.
  static func brokenCrun() throws -> (directory: String, path: String) {
    let directory = NSTemporaryDirectory() + "drydock-preflight-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/crun"
    let script = """
      #!/bin/sh
      case "$*" in *--version*) echo "crun version 1.8.1 (a stand-in)"; exit 0;; esac
      echo "cgroups in hybrid mode not supported, drop all controllers from cgroupv2" >&2
      exit 1

      """
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return (directory, path)
  }

  @Test(.enabled(if: isRoot && hasRunc, "needs root and runc"))
  func usableAndUnusableRuntimes() throws {
    let broken = try Self.brokenCrun()
    defer { try? FileManager.default.removeItem(atPath: broken.directory) }
    let runtimes = try RuntimeProfiles.probeAll(["runc", broken.path])
    let work = broken.directory + "/work"
    let found = try Preflight.checkAll(runtimes, workDirectory: work)
    #expect(found.map(\.usable) == [true, false])
    let crun = found[1]
    #expect(crun.reason?.contains("exit status 1") == true, "\(crun)")
    #expect(crun.reason?.contains("cgroups in hybrid mode not supported") == true, "\(crun)")
    #expect(crun.hostFix?.contains("hugetlb") == true, "\(crun)")
    // Nothing left: not its work directory (bundles, state), no cgroup of the preflight's prefix in any hierarchy.
    #expect(
      !FileManager.default.fileExists(atPath: work),
      "\((try? FileManager.default.subpathsOfDirectory(atPath: work)) ?? [])")
    for mount in HostInfo.cgroupMounts() {
      let left = ((try? FileManager.default.contentsOfDirectory(atPath: mount.path)) ?? [])
        .filter { $0.hasPrefix("drydock-preflight-\(getpid())-") }
      #expect(left.isEmpty, "\(mount.path): \(left)")
    }
    // The gate decides: an unusable gated runtime or --require-all is fatal, a comparison runtime is not.
    #expect(
      #expect(throws: HarnessError.self) { try Preflight.enforce(found, gate: broken.path, requireAll: false) }?.domain
        == .kit)
    #expect(
      #expect(throws: HarnessError.self) { try Preflight.enforce(found, gate: "runc", requireAll: true) }?.domain
        == .kit)
    try Preflight.enforce(found, gate: "runc", requireAll: false)
  }

  @Test(.enabled(if: isRoot && hasRunc, "needs root and runc"))
  func unusableRuntimeCasesAreNeitherPassNorFail() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let broken = try Self.brokenCrun()
    defer { try? FileManager.default.removeItem(atPath: broken.directory) }
    let cases = try CaseLoader.loadDirectory(root + "/conformance/cases")
      .filter { ["create-status-created", "start-twice"].contains($0.id) }
    try #require(cases.count == 2)
    let runtimes = try RuntimeProfiles.probeAll(["runc", broken.path])
    let work = broken.directory + "/work"
    let usability = try Preflight.checkAll(runtimes, workDirectory: work + "/preflight")
    let options = SuiteOptions(workDirectory: work, probeSource: root + "/conformance/probe/probe.c")
    let suite = try SuiteRunner.run(cases: cases, runtimes: runtimes, usability: usability, options: options)
    #expect(suite.runtimes[0].count(.pass) == 2)
    let crun = suite.runtimes[1]
    #expect(crun.count(.pass) == 0 && crun.count(.fail) == 0 && crun.count(.skip) == 2)
    #expect(crun.results.allSatisfy { $0.message.contains("unusable") && $0.message.contains("hybrid mode") })
    let json =
      try JSONSerialization.jsonObject(with: Data(Reports.json(suite, generatedAt: "t").utf8)) as? [String: Any]
    let written = try #require(json?["runtimes"] as? [[String: Any]])
    #expect(written[0]["usable"] as? Bool == true && written[1]["usable"] as? Bool == false)
    #expect((written[1]["host_fix"] as? String)?.contains("hugetlb") == true, "\(written[1])")
    #expect(Reports.matrixMarkdown(suite).contains("UNUSABLE RUNTIME"))
    #expect(Reports.matrixHTML(suite).contains("class=\"banner\""))
    #expect(Reports.tap(suite, runtime: 1).contains("# UNUSABLE: crun is unusable"))
    #expect(Reports.junit(suite).contains("<property name=\"unusable\""))
  }

  @Test func runscGetsItsProfileFlags() {
    #expect(RuntimeProfiles.arguments(for: "/usr/bin/runsc") == ["--network=none"])
    #expect(RuntimeProfiles.arguments(for: "runsc", extra: ["--debug"]) == ["--network=none", "--debug"])
    #expect(RuntimeProfiles.arguments(for: "/usr/sbin/runc").isEmpty)
  }
}
