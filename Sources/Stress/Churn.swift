// Churn: many containers through a mix of lifecycles with bounded concurrency, then the leak audit.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct ChurnConfiguration: Sendable {
  public var containers = 100
  public var concurrency = 4
  /// Seconds; the churn stops early when reached.
  public var duration: Double?
  /// Container i gets lifecycles[i % count].
  public var lifecycles = Lifecycle.allCases
  public var callTimeout = 30.0
  public init() {}
}

public struct OperationStats: Codable, Sendable {
  public var count: Int
  public var failures: Int
  /// Milliseconds.
  public var p50: Double, p90: Double, p99: Double, max: Double

  static func of(_ milliseconds: [Double], failures: Int) -> OperationStats {
    let sorted = milliseconds.sorted()
    func quantile(_ q: Double) -> Double {
      sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }
    return OperationStats(
      count: milliseconds.count, failures: failures, p50: quantile(0.5), p90: quantile(0.9),
      p99: quantile(0.99), max: sorted.last ?? 0)
  }
}

public struct ChurnReport: Codable, Sendable {
  public var runtime: String
  public var version: String
  public var containers: Int
  public var concurrency: Int
  public var seconds: Double
  public var containersPerSecond: Double
  public var lifecycles: [String: Int]
  public var operations: [String: OperationStats]
  public var failureCount: Int
  /// The first 50.
  public var failures: [String]
  public var leaks: [Leak]
  public var rss: RSSSummary
  public var teardownProblems: [String]
  /// No failure, no leak.
  public var passed: Bool { failureCount == 0 && leaks.isEmpty }

  enum CodingKeys: String, CodingKey {
    case runtime, version, containers, concurrency, seconds, containersPerSecond, lifecycles, operations
    case failureCount, failures, leaks, rss, teardownProblems, passed
  }
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(runtime, forKey: .runtime)
    try c.encode(version, forKey: .version)
    try c.encode(containers, forKey: .containers)
    try c.encode(concurrency, forKey: .concurrency)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(containersPerSecond, forKey: .containersPerSecond)
    try c.encode(lifecycles, forKey: .lifecycles)
    try c.encode(operations, forKey: .operations)
    try c.encode(failureCount, forKey: .failureCount)
    try c.encode(failures, forKey: .failures)
    try c.encode(leaks, forKey: .leaks)
    try c.encode(rss, forKey: .rss)
    try c.encode(teardownProblems, forKey: .teardownProblems)
    try c.encode(passed, forKey: .passed)
  }
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runtime = try c.decode(String.self, forKey: .runtime)
    version = try c.decode(String.self, forKey: .version)
    containers = try c.decode(Int.self, forKey: .containers)
    concurrency = try c.decode(Int.self, forKey: .concurrency)
    seconds = try c.decode(Double.self, forKey: .seconds)
    containersPerSecond = try c.decode(Double.self, forKey: .containersPerSecond)
    lifecycles = try c.decode([String: Int].self, forKey: .lifecycles)
    operations = try c.decode([String: OperationStats].self, forKey: .operations)
    failureCount = try c.decode(Int.self, forKey: .failureCount)
    failures = try c.decode([String].self, forKey: .failures)
    leaks = try c.decode([Leak].self, forKey: .leaks)
    rss = try c.decode(RSSSummary.self, forKey: .rss)
    teardownProblems = try c.decode([String].self, forKey: .teardownProblems)
  }
  init(
    runtime: String, version: String, containers: Int, concurrency: Int, seconds: Double,
    lifecycles: [String: Int], operations: [String: OperationStats], failureCount: Int, failures: [String],
    leaks: [Leak], rss: RSSSummary, teardownProblems: [String]
  ) {
    self.runtime = runtime
    self.version = version
    self.containers = containers
    self.concurrency = concurrency
    self.seconds = seconds
    self.containersPerSecond = seconds > 0 ? Double(containers) / seconds : 0
    self.lifecycles = lifecycles
    self.operations = operations
    self.failureCount = failureCount
    self.failures = failures
    self.leaks = leaks
    self.rss = rss
    self.teardownProblems = teardownProblems
  }
}

/// Each worker owns one bundle (a read-only bind mount of the busybox rootfs) and rewrites its config.json per
/// container, so the mount table only changes by what the runtime does. A warm-up lifecycle runs before the
/// "before" snapshot so the runtime's first-use work (the prefix's parent cgroups) is not counted as a leak.
public enum Churn {
  /// `inject` runs after the churn and before the audit: tests use it to plant a leak the audit must find.
  public static func run(
    runtime: RuntimeUnderTest, configuration: ChurnConfiguration,
    progress: (@Sendable (Int, Int) -> Void)? = nil,
    inject: ((StressEnvironment) -> Void)? = nil
  ) throws(HarnessError) -> ChurnReport {
    guard configuration.concurrency >= 1, configuration.containers >= 1, !configuration.lifecycles.isEmpty else {
      throw HarnessError(
        .stress, operation: "churn", message: "containers and concurrency must be at least 1, lifecycles non-empty")
    }
    let environment = try StressEnvironment(runtime: runtime, label: "stress", timeout: configuration.callTimeout)
    let auditor = environment.auditor
    let stateBefore = auditor.snapshot().stateEntries
    var bundles: [OCIBundle] = []
    for worker in 0..<configuration.concurrency {
      let config = try environment.config(args: ["true"], cgroupsPath: environment.cgroupsPath("w\(worker)"))
      bundles.append(try environment.makeBundle(name: "w\(worker)", config: config))
    }
    let templateData = try kit { try environment.config(args: ["true"], cgroupsPath: "/").jsonData(pretty: false) }
    let lifecycleDriver = LifecycleDriver(driver: environment.driver, pidDirectory: environment.workDirectory + "/pids")

    // Warm-up, not counted: a full lifecycle and an exec, so lazily created host state predates the snapshot.
    for (index, lifecycle) in [Lifecycle.exec, .run].enumerated() {
      try write(
        templateData, lifecycle: lifecycle, cgroupsPath: environment.cgroupsPath("warmup\(index)"), to: bundles[0])
      let records = lifecycleDriver.perform(lifecycle, id: "warmup\(index)", bundle: bundles[0].path)
      if let failure = records.compactMap(\.failure).first {
        _ = environment.tearDown()
        throw HarnessError(.stress, operation: "warm-up", message: failure)
      }
    }
    // libdispatch opens its epoll/eventfd/timerfd on first use: let that happen before the fd snapshot.
    DispatchQueue.concurrentPerform(iterations: configuration.concurrency + 1) { _ in usleep(1000) }
    let primed = DispatchGroup()
    DispatchQueue.global().async(group: primed) {}
    primed.wait()
    let sampler = RSSSampler()
    var before = auditor.snapshot()
    before.stateEntries = stateBefore

    sampler.start(marker: environment.stateRoot)
    let next = Locked(0)
    let results = Locked<[(Lifecycle, [CallRecord])]>([])
    let deadline = configuration.duration.map { Date().addingTimeInterval($0) }
    let started = ProcessRunner.monotonicNanoseconds()
    let workerBundles = bundles
    let prefix = environment.prefix
    DispatchQueue.concurrentPerform(iterations: configuration.concurrency) { worker in
      while true {
        if let deadline, Date() >= deadline { return }
        let index: Int = next.withLock { value in
          defer { value += 1 }
          return value
        }
        guard index < configuration.containers else { return }
        let lifecycle = configuration.lifecycles[index % configuration.lifecycles.count]
        let id = "s\(index)"
        let records: [CallRecord]
        do {
          try write(templateData, lifecycle: lifecycle, cgroupsPath: prefix + "/" + id, to: workerBundles[worker])
          records = lifecycleDriver.perform(lifecycle, id: id, bundle: workerBundles[worker].path)
        } catch {
          records = [CallRecord(operation: "write config", milliseconds: 0, failure: "\(id): \(error)")]
        }
        let done = results.withLock {
          $0.append((lifecycle, records))
          return $0.count
        }
        progress?(done, configuration.containers)
      }
    }
    let seconds = Double(ProcessRunner.monotonicNanoseconds() - started) / 1e9
    let samples = sampler.stop()
    inject?(environment)
    let leaks = auditor.audit(since: before)

    let all = results.snapshot
    var lifecycles: [String: Int] = [:]
    var durations: [String: [Double]] = [:]
    var failureCounts: [String: Int] = [:]
    var failures: [String] = []
    for (lifecycle, records) in all {
      lifecycles[lifecycle.rawValue, default: 0] += 1
      for record in records {
        if let failure = record.failure {
          failureCounts[record.operation, default: 0] += 1
          failures.append(failure)
        } else {
          durations[record.operation, default: []].append(record.milliseconds)
        }
      }
    }
    var operations: [String: OperationStats] = [:]
    for operation in Set(durations.keys).union(failureCounts.keys) {
      operations[operation] = .of(durations[operation] ?? [], failures: failureCounts[operation] ?? 0)
    }
    let problems = environment.tearDown()
    return ChurnReport(
      runtime: runtime.name, version: runtime.version, containers: all.count,
      concurrency: configuration.concurrency, seconds: seconds, lifecycles: lifecycles,
      operations: operations, failureCount: failures.count, failures: Array(failures.prefix(50)),
      leaks: leaks, rss: .summarize(samples), teardownProblems: problems)
  }

  static func write(_ template: Data, lifecycle: Lifecycle, cgroupsPath: String, to bundle: OCIBundle)
    throws(HarnessError)
  {
    try kit {
      var tree = try ConfigTree(jsonData: template)
      try tree.setArgs(lifecycle.processArgs)
      try tree.setCgroupsPath(cgroupsPath)
      try tree.write(to: bundle.configPath)
    }
  }
}
