// drydock stress against hull: a short churn with zero leaks, same-id races, a fault-injection round and the
// bad-input corpus; plus the audit itself, which must find leaks planted on purpose (no runtime needed).
import DrydockKit
import Foundation
import Stress
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum StressFixtures {
  static let repository = BundleFactory.repositoryRoot()

  /// hull as built by `swift build --product hull`, or why the hull tests cannot run.
  static let hull: Result<RuntimeUnderTest, HarnessError> = {
    guard getuid() == 0 else { return .failure(HarnessError(.stress, operation: "skip", message: "needs root")) }
    guard let repository else {
      return .failure(HarnessError(.stress, operation: "skip", message: "repository not found (set DRYDOCK_REPO)"))
    }
    let path = repository + "/.build/debug/hull"
    guard FileManager.default.isExecutableFile(atPath: path) else {
      return .failure(
        HarnessError(.stress, operation: "skip", path: path, message: "no hull binary: run swift build --product hull"))
    }
    do { return .success(try RuntimeUnderTest.probe(path, name: "hull")) } catch {
      return .failure(HarnessError(.stress, operation: "skip", path: path, message: "\(error)"))
    }
  }()

  static var hullSkipReason: String? {
    if case .failure(let error) = hull { return error.description }
    return nil
  }

  static func hullRuntime() throws -> RuntimeUnderTest { try hull.get() }
}

@Suite(.serialized) struct StressTests {
  @Test(
    .enabled(if: StressFixtures.hullSkipReason == nil, Comment(rawValue: StressFixtures.hullSkipReason ?? "")),
    .timeLimit(.minutes(2)))
  func shortChurnOfHullLeavesNothing() throws {
    var configuration = ChurnConfiguration()
    configuration.containers = 40
    configuration.concurrency = 2
    let report = try Churn.run(runtime: StressFixtures.hullRuntime(), configuration: configuration)
    #expect(report.containers == 40)
    #expect(Set(report.lifecycles.keys) == Set(Lifecycle.allCases.map(\.rawValue)))
    #expect(report.failureCount == 0, "\(report.failures.prefix(5))")
    #expect(report.leaks.isEmpty, "\(report.leaks)")
    #expect(report.teardownProblems.isEmpty, "\(report.teardownProblems)")
    #expect(report.rss.samples > 0 && report.rss.peakKilobytes > 0)
    #expect((report.operations["create"]?.count ?? 0) >= 30)
  }

  @Test(.enabled(if: getuid() == 0, "needs root (cgroups, mounts)"))
  func auditFindsPlantedLeaks() throws {
    let prefix = CgroupCleaner.uniquePrefix("drydock-audit-test")
    let cleaner = try CgroupCleaner(prefix: prefix)
    let work = "/tmp/drydock-audit-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: work + "/state", withIntermediateDirectories: true)
    defer {
      _ = cleaner.removeAll()
      for mount in cleaner.mounts { rmdir(mount.path + prefix) }
      umount2(work + "/mnt", Int32(MNT_DETACH))
      try? FileManager.default.removeItem(atPath: work)
    }
    let auditor = LeakAuditor(prefix: prefix, stateRoot: work + "/state", markers: [work])
    let before = auditor.snapshot()
    #expect(auditor.audit(since: before).isEmpty)

    // One leak of each kind the audit knows (netns is found through the process holding it).
    let memory = try #require(cleaner.mounts.first { $0.controllers.contains("memory") })
    try FileManager.default.createDirectory(atPath: memory.path + prefix + "/leaked", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: work + "/state/leaked-container", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: work + "/mnt", withIntermediateDirectories: true)
    #expect(mount("tmpfs", work + "/mnt", "tmpfs", 0, "size=16k") == 0)
    let fd = open(work + "/state", O_RDONLY | O_DIRECTORY)
    defer { close(fd) }
    let process = try SpawnedProcess.spawn([
      "/bin/sh", "-c", "exec unshare -n /bin/sh -c 'sleep 60; :' \"$0\"", work + "/marker",
    ])
    defer {
      process.signalGroup(SIGKILL)
      _ = process.wait(timeout: 5)
    }
    usleep(200_000)

    let leaks = auditor.audit(since: before)
    let kinds = Set(leaks.map(\.kind))
    #expect(kinds.isSuperset(of: [.cgroup, .stateEntry, .mount, .fd, .process, .netns]), "\(leaks)")
    #expect(leaks.contains { $0.kind == .cgroup && $0.detail.hasSuffix(prefix + "/leaked") })
    #expect(leaks.contains { $0.kind == .mount && $0.detail.contains(work + "/mnt") })
    #expect(leaks.contains { $0.kind == .fd && $0.detail.contains(work + "/state") })
    #expect(!leaks.contains { $0.detail.contains("process_api") })
  }

  @Test(
    .enabled(if: StressFixtures.hullSkipReason == nil, Comment(rawValue: StressFixtures.hullSkipReason ?? "")),
    .timeLimit(.minutes(2)))
  func sameIDRaceOnHull() throws {
    let report = try SameIDRace.run(runtime: StressFixtures.hullRuntime(), width: 6)
    for round in report.rounds {
      #expect(round.crashes.isEmpty, "\(round.name): \(round.crashes)")
      #expect(round.tornStates.isEmpty, "\(round.name): \(round.tornStates)")
      #expect(round.unclearErrors.isEmpty, "\(round.name): \(round.unclearErrors)")
      #expect(round.problems.isEmpty, "\(round.name): \(round.problems)")
      if let expected = round.expectedDeleteWinners { #expect(round.deleteWinners == expected, "\(round.name)") }
    }
    #expect(report.rounds.count == 4)
    #expect(report.leaks.isEmpty, "\(report.leaks)")
  }

  @Test(
    .enabled(if: StressFixtures.hullSkipReason == nil, Comment(rawValue: StressFixtures.hullSkipReason ?? "")),
    .timeLimit(.minutes(2)))
  func faultInjectionOnHullLeavesNothing() throws {
    let report = try FaultInjection.run(runtime: StressFixtures.hullRuntime(), rounds: 2, seed: 0xD0C)
    #expect(report.cases.count == 4 * 2 + 2 + 3)
    for fault in report.cases {
      let detail =
        "\(fault.name) at \(fault.delayMilliseconds ?? -1) ms: \(fault.runtimeOutcome); state \(fault.stateAfter); "
        + "\(fault.listProblems) \(fault.leftovers.map(\.description))"
      #expect(fault.passed, "\(detail)")
    }
  }

  @Test(
    .enabled(if: StressFixtures.hullSkipReason == nil, Comment(rawValue: StressFixtures.hullSkipReason ?? "")),
    .timeLimit(.minutes(3)))  // ~25 s alone for 154 cases; 2 min was exceeded beside other suites on a busy host
  func badInputCorpusRefusedByHull() throws {
    let directory = try #require(StressFixtures.repository) + "/conformance/bad-input"
    let report = try BadInputRunner.run(runtime: StressFixtures.hullRuntime(), directory: directory)
    #expect(report.cases.count >= 154)
    for result in report.cases {
      let detail = "\(result.file): \(result.verdict.rawValue): \(result.message) \(result.findings)"
      #expect(result.passed, "\(detail)")
    }
  }
}

@Suite struct StressUnitTests {
  @Test func corpusCoversEveryCategory() throws {
    let directory = try #require(StressFixtures.repository) + "/conformance/bad-input"
    let cases = try BadInputRunner.load(directory: directory)
    #expect(cases.count >= 154)
    let categories = Set(cases.map(\.category))
    #expect(
      categories.isSuperset(of: ["truncated", "wrong-type", "huge", "deep", "utf8", "escape", "device", "hostile-id"]))
    for badCase in cases {
      #expect(FileManager.default.fileExists(atPath: directory + "/cases/" + badCase.file), "\(badCase.file)")
    }
  }

  @Test func placeholdersAreSubstitutedAsBytes() {
    let data = Data([0xff]) + Data("a@X@b@X@".utf8) + Data([0xfe])
    let out = BadInputRunner.substitute(data, "@X@", "/p")
    #expect(out == Data([0xff]) + Data("a/pb/p".utf8) + Data([0xfe]))
  }

  @Test func casesWithoutOurCgroupAreNotRun() {
    let ours = "/drydock-badinput-1/case0"
    let unsafe = Data(#"{"process":{},"root":{},"linux":{"namespaces":[]}}"#.utf8)
    let safe = Data(#"{"process":{},"root":{},"linux":{"cgroupsPath":"/drydock-badinput-1/case0"}}"#.utf8)
    #expect(BadInputRunner.unsafeReason(unsafe, cgroupsPath: ours) != nil)
    #expect(BadInputRunner.unsafeReason(safe, cgroupsPath: ours) == nil)
    #expect(BadInputRunner.unsafeReason(Data("{".utf8), cgroupsPath: ours) == nil)
  }

  @Test func rssTimelineHasTenSlices() {
    let samples = (0..<100).map {
      RSSSample(
        seconds: Double($0) / 10, processes: 1, maxKilobytes: 1000 + $0,
        totalKilobytes: 2000, selfKilobytes: 50_000 + $0)
    }
    let summary = RSSSummary.summarize(samples)
    #expect(summary.timeline.count == 10)
    #expect(summary.peakKilobytes == 1099)
    #expect(summary.selfGrowthKilobytes == 99)
  }
}
