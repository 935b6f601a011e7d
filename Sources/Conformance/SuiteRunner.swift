// SuiteRunner: every case against every runtime, with bounded parallelism and a deterministic result order.
// Each worker thread owns a BundleFactory (its own rootfs cache holding the probe); each execution owns a
// bundle, a --root state directory and a cgroupsPath under this run's prefix, all removed afterwards.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct RuntimeResults: Sendable {
  public var runtime: RuntimeUnderTest
  public var results: [CaseResult]  // in the order of SuiteResult.cases
  /// What the preflight found (nil: not checked). An unusable runtime's cases are skipped, not failed.
  public var usability: RuntimeUsability? = nil
  public var unusable: RuntimeUsability? { usability.flatMap { $0.usable ? nil : $0 } }

  public func count(_ status: CaseStatus) -> Int { results.filter { $0.status == status }.count }
}

public struct SuiteResult: Sendable {
  public var cases: [ConformanceCase]
  public var runtimes: [RuntimeResults]
  public var wallSeconds: Double
  public var startedAt: Date
  /// Where the suite ran (kernel, cgroup mode, init, drydock VM): results of different hosts are not merged.
  public var host: HostLabel = HostLabel.current()
}

public struct SuiteOptions: Sendable {
  public var jobs: Int = 2
  /// Scratch space for bundles, state roots, rootfs caches and the probe binary.
  public var workDirectory: String
  public var probeSource: String
  public var templatePath: String?
  public var makeRootfsScript: String?
  /// The longest one runtime call may take (a step's own `timeout` and the case's deadline can shorten it).
  public var callTimeout: Double = 20
  public var progress: (@Sendable (String) -> Void)?
  /// Also report every step's outcome and duration.
  public var verbose = false

  public init(workDirectory: String, probeSource: String) {
    self.workDirectory = workDirectory
    self.probeSource = probeSource
  }
}

/// Set by SIGINT/SIGTERM: no new case starts; the running ones finish (their calls have timeouts) and clean
/// up, and the reports are still written. A second signal ends drydock at once (default action restored).
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0

private func installInterruptHandlers() {
  for signalNumber in [SIGINT, SIGTERM] {
    signal(signalNumber) { number in
      interruptRequested = 1
      signal(number, SIG_DFL)
    }
  }
}

/// Lock-protected state shared by the worker threads.
private final class WorkQueue: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private let total: Int
  private var results: [Int: CaseResult] = [:]
  init(total: Int) { self.total = total }
  func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < total, interruptRequested == 0 else { return nil }
    next += 1
    return next - 1
  }
  func put(_ index: Int, _ result: CaseResult) {
    lock.lock()
    results[index] = result
    lock.unlock()
  }
  func result(_ index: Int) -> CaseResult? {
    lock.lock()
    defer { lock.unlock() }
    return results[index]
  }
}

public enum SuiteRunner {
  /// `usability`: the preflight's findings, one per runtime in the same order (empty: not checked).
  public static func run(
    cases: [ConformanceCase], runtimes: [RuntimeUnderTest], usability: [RuntimeUsability] = [],
    options: SuiteOptions
  ) throws -> SuiteResult {
    let unusable: [String?] = runtimes.indices.map { i in
      i < usability.count && !usability[i].usable
        ? "runtime unusable on this host: " + (usability[i].reason ?? "") : nil
    }
    let started = Date()
    ContainerWait.becomeSubreaper()
    installInterruptHandlers()
    try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true)
    let probe = options.workDirectory + "/probe"
    try ProbeBuilder.build(source: options.probeSource, output: probe)
    // drydock's seccomp agent sits next to the probe's directory (conformance/agent).
    let agentBinary: String? = cases.contains(where: \.agent) ? options.workDirectory + "/seccomp-agent" : nil
    if let agentBinary {
      let source = (options.probeSource as NSString).deletingLastPathComponent + "/../agent/seccomp-agent.c"
      try ProbeBuilder.build(source: source, output: agentBinary)
    }
    let host = HostFeatures.probe()
    let cleaner = try CgroupCleaner(prefix: CgroupCleaner.uniquePrefix("drydock-conf"))
    defer { _ = cleaner.removeAll() }
    let hostMountNamespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")) ?? ""
    var hostInodes: [String: String] = [:]
    for type in ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts", "time"] {
      hostInodes[type] = CaseExecution.namespaceInode("/proc/self/ns/\(type)")
    }
    let namespaceInodes = hostInodes
    let skipReasons: [String?] = cases.map { c in
      let reasons = c.needs.compactMap { host.unmet($0) }
      return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
    let jobs = runtimes.count * cases.count
    let queue = WorkQueue(total: jobs)
    let workers = max(1, min(options.jobs, jobs))
    let group = DispatchGroup()
    let failure = WorkerFailure()
    for worker in 0..<workers {
      group.enter()
      let thread = Thread {
        defer { group.leave() }
        do {
          let directory = options.workDirectory + "/worker-\(worker)"
          let factory = try BundleFactory(
            workDirectory: directory, templatePath: options.templatePath,
            makeRootfsScript: options.makeRootfsScript, defaultStrategy: .hardlinkCopy)
          defer { factory.removeAll() }
          let rootfs = try factory.rootfsCache()
          try? FileManager.default.removeItem(atPath: rootfs + BundlePlan.probeInside)
          try FileManager.default.copyItem(atPath: probe, toPath: rootfs + BundlePlan.probeInside)
          chmod(rootfs + BundlePlan.probeInside, 0o755)
          try? FileManager.default.createDirectory(
            atPath: rootfs + BundlePlan.sharedInside, withIntermediateDirectories: true)
          guard let template = JSONValue(any: try factory.template().root) else {
            throw HarnessError(
              .conformance, operation: "read template", path: factory.templatePath, message: "not a JSON object")
          }
          var env = ExecutionEnvironment(
            factory: factory, cleaner: cleaner, template: template, host: host,
            hostMountNamespace: hostMountNamespace, hostNamespaceInodes: namespaceInodes,
            callTimeout: options.callTimeout)
          env.agentBinary = agentBinary
          while let index = queue.take() {
            // Case-major order: all runtimes of a case run close together, so a flaky host shows on both.
            let caseIndex = index / runtimes.count
            let runtime = runtimes[index % runtimes.count]
            let testCase = cases[caseIndex]
            let result: CaseResult
            if let reason = unusable[index % runtimes.count] {
              result = CaseResult(caseID: testCase.id, status: .skip, message: reason)
            } else if let reason = skipReasons[caseIndex] {
              result = CaseResult(caseID: testCase.id, status: .skip, message: reason)
            } else {
              result = CaseExecution(testCase: testCase, runtime: runtime, env: env, serial: index).run()
            }
            queue.put(index, result)
            options.progress?(
              "\(result.status.rawValue) \(runtime.name) \(testCase.id)\(result.message.isEmpty ? "" : ": " + result.message)"
                + (options.verbose ? "\n    " + result.log.joined(separator: "\n    ") : ""))
          }
        } catch {
          failure.set("\(error)")
        }
      }
      thread.stackSize = 4 << 20
      thread.start()
    }
    group.wait()
    if let message = failure.message {
      throw HarnessError(.conformance, operation: "run suite", path: options.workDirectory, message: message)
    }
    let perRuntime = runtimes.enumerated().map { r, runtime in
      RuntimeResults(
        runtime: runtime,
        results: cases.indices.map { c in
          queue.result(c * runtimes.count + r)
            ?? CaseResult(caseID: cases[c].id, status: .skip, message: "not run: drydock was interrupted")
        }, usability: r < usability.count ? usability[r] : nil)
    }
    return SuiteResult(
      cases: cases, runtimes: perRuntime, wallSeconds: Date().timeIntervalSince(started), startedAt: started)
  }
}

private final class WorkerFailure: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var message: String?
  func set(_ text: String) {
    lock.lock()
    if message == nil { message = text }
    lock.unlock()
  }
}
