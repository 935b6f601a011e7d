import DrydockKit
import Foundation
import Testing

// A subset of the suite against the real runc and crun of this machine, asserting their known results:
// the passes, the known divergences (delete of a created container, runc's poststart during create,
// crun 1.8's missing `features`), and host-decided skips.
@testable import Conformance

@Suite(.serialized) struct ConformanceIntegrationTests {
  static let caseIDs = [
    "create-status-created", "start-twice", "delete-created-fails", "poststart-during-start",
    "features-json", "duplicate-namespace-fails", "pidfile-digits-no-newline", "delete-force-unknown-ok",
    "seccomp-errno", "kill-stopped-fails", "mount-order", "rlimit-nofile-above-host",
  ]

  /// The verdicts every runtime gets, and where each one is known to differ.
  static let common: [String: CaseStatus] = [
    "create-status-created": .pass, "start-twice": .pass, "delete-created-fails": .fail,
    "pidfile-digits-no-newline": .pass, "delete-force-unknown-ok": .pass, "seccomp-errno": .pass,
    "kill-stopped-fails": .pass, "mount-order": .pass,
  ]
  static let known: [String: [String: CaseStatus]] = [
    "runc": ["poststart-during-start": .fail, "features-json": .pass, "duplicate-namespace-fails": .pass],
    "crun": ["poststart-during-start": .pass, "features-json": .fail, "duplicate-namespace-fails": .fail],
  ]

  static var isRoot: Bool { getuid() == 0 }
  /// crun 1.8 refuses hybrid hosts whose cgroup2 mount has controllers (scripts/setup binds hugetlb to v1).
  static var crunUsable: Bool {
    HostFeatures.which("crun") != nil && HostFeatures.probe().v2Controllers.isEmpty
  }

  func run(_ runtimeName: String) throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let cases = try CaseLoader.loadDirectory(root + "/conformance/cases").filter { Self.caseIDs.contains($0.id) }
    #expect(cases.count == Self.caseIDs.count)
    let runtime = try RuntimeUnderTest.probe(runtimeName)
    let work = NSTemporaryDirectory() + "drydock-conformance-test-\(getpid())-\(runtimeName)"
    defer { try? FileManager.default.removeItem(atPath: work) }
    var options = SuiteOptions(workDirectory: work, probeSource: root + "/conformance/probe/probe.c")
    options.jobs = 2
    let suite = try SuiteRunner.run(cases: cases, runtimes: [runtime], options: options)
    let host = HostFeatures.probe()
    for (c, r) in zip(suite.cases, suite.runtimes[0].results) {
      if let expected = Self.known[runtimeName]?[c.id] ?? Self.common[c.id] {
        #expect(r.status == expected, "\(runtimeName) \(c.id): \(r.status) \(r.message)")
      } else {
        // Host-dependent: skipped exactly when the host lacks what the case needs.
        let lacking = c.needs.contains { host.unmet($0) != nil }
        #expect((r.status == .skip) == lacking, "\(runtimeName) \(c.id): \(r.status) \(r.message)")
      }
      if r.status == .fail { #expect(r.message.contains(c.requirement.citation)) }
    }
    // Nothing of ours is left behind: no container in the state roots, no bundle.
    #expect(!FileManager.default.fileExists(atPath: work + "/worker-0/bundles/c0-\(runtimeName)-\(cases[0].id)"))
  }

  @Test(.enabled(if: isRoot && HostFeatures.which("runc") != nil, "needs root and runc"))
  func runcKnownResults() throws { try run("runc") }

  /// A case that runs out of time still fails with a message and leaves no container, cgroup or bundle.
  @Test(.enabled(if: isRoot && HostFeatures.which("runc") != nil, "needs root and runc"))
  func timeoutStillCleansUp() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    var c = ConformanceCase(
      id: "never-exits", area: "test", file: "-", summary: "",
      requirement: Requirement(document: "runtime.md", section: "Kill", level: .must, text: "t"))
    c.timeout = 3
    c.probe.then = ["sleep", "600"]
    var wait = Step(action: .waitExit)
    wait.exitCode = 0
    c.steps = [Step(action: .create), Step(action: .start), wait]
    c.steps[0].expectSuccess = true
    c.steps[1].expectSuccess = true
    let work = NSTemporaryDirectory() + "drydock-conformance-timeout-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: work) }
    let started = Date()
    let suite = try SuiteRunner.run(
      cases: [c], runtimes: [try RuntimeUnderTest.probe("runc")],
      options: SuiteOptions(workDirectory: work, probeSource: root + "/conformance/probe/probe.c"))
    let result = suite.runtimes[0].results[0]
    #expect(result.status == .fail)
    #expect(result.message.contains("step 3 (wait-exit): the container process"), "\(result.message)")
    #expect(Date().timeIntervalSince(started) < 20)
    // No cgroup of this process is left in any hierarchy.
    let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/pids")) ?? [])
      .filter { $0.hasPrefix("drydock-conf-\(getpid())-") }
    #expect(leftovers.isEmpty, "\(leftovers)")
    #expect(!result.log.isEmpty && result.log.last!.hasPrefix("cleanup"))
  }

  @Test(.enabled(if: isRoot && crunUsable, "needs root, crun, and no controller on cgroup2 (run scripts/setup)"))
  func crunKnownResults() throws { try run("crun") }
}
