// OverheadMeter: what tracing costs. Container start latency (`run` of the bundle) untraced vs traced,
// interleaved; and the per-syscall cost in three states: programs detached, attached but the caller untracked
// (the price every other process on the host pays), attached and the caller tracked (the counting path).
import CBPF
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct OverheadResult: Codable, Sendable {
  public var runs: Int
  public var untracedMs: [Double]
  public var tracedMs: [Double]
  public var untracedMedian: Double
  public var tracedMedian: Double
  public var untracedP90: Double
  public var tracedP90: Double
  /// Keys "detached", "attached_untracked" and "tracked".
  public var perSyscallNs: [String: Double]
  public var loadMs: Double
  public var iterations: Int

  enum CodingKeys: String, CodingKey {
    case runs
    case untracedMs = "untraced_ms"
    case tracedMs = "traced_ms"
    case untracedMedian = "untraced_median_ms"
    case tracedMedian = "traced_median_ms"
    case untracedP90 = "untraced_p90_ms"
    case tracedP90 = "traced_p90_ms"
    case perSyscallNs = "per_syscall_ns"
    case loadMs = "load_ms"
    case iterations
  }

  static func quantile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
  }

  public func markdown() -> String {
    func f(_ v: Double) -> String { String(format: "%.2f", v) }
    var out = "# drydock trace: overhead (\(runs) runs each, interleaved)\n\n"
    out += "| | median ms | p90 ms |\n|---|---:|---:|\n"
    out +=
      "| untraced | \(f(untracedMedian)) | \(f(untracedP90)) |\n| traced | \(f(tracedMedian)) | \(f(tracedP90)) |\n"
    out += "| difference | \(f(tracedMedian - untracedMedian)) | \(f(tracedP90 - untracedP90)) |\n\n"
    let base = perSyscallNs["detached"] ?? 0
    out += "Per syscall (getppid ×\(iterations)): detached \(f(base)) ns; attached, caller untracked "
    out +=
      "+\(f((perSyscallNs["attached_untracked"] ?? 0) - base)) ns; tracked (counting) +\(f((perSyscallNs["tracked"] ?? 0) - base)) ns.\n"
    out += "BPF load: \(f(loadMs)) ms.\n"
    return out
  }

  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }
}

/// Both variants go through the same gate (/bin/sh then exec), so the difference is the tracer's alone.
public final class OverheadMeter {
  public let tracer: RuntimeTracer

  public init(tracer: RuntimeTracer) { self.tracer = tracer }

  private func untracedRun(bundle: TraceBundle, options: TraceOptions, index: Int) throws -> Double {
    let id = "do\(getpid())-\(index)"
    let directory = try bundle.makeConfig(id: id, args: options.args)
    let argv = [tracer.runtime.path] + tracer.runtime.extraGlobalArgs + ["--root", bundle.stateRoot]
    defer { _ = try? ProcessRunner.run(argv + ["delete", "--force", id], timeout: 10) }
    let gate = try GatedProcess.spawn(argv + ["run", "--bundle", directory, id], logPrefix: "\(bundle.path)/\(id)")
    try gate.release()
    let result = gate.waitDraining(
      session: tracer.session, deadline: ProcessRunner.monotonicNanoseconds() + UInt64(options.timeout * 1e9),
      timeout: options.timeout)
    guard result.succeeded else {
      throw HarnessError(
        .tracer, operation: "untraced run", path: tracer.runtime.path, errno: ECHILD, message: result.summary)
    }
    return result.wallMilliseconds
  }

  public func measure(bundle: TraceBundle, options: TraceOptions, runs: Int) throws -> OverheadResult {
    var runOptions = options
    runOptions.phase = .run
    var untraced: [Double] = []
    var traced: [Double] = []
    _ = try untracedRun(bundle: bundle, options: runOptions, index: -1)  // warm caches once
    for index in 0..<max(1, runs) {
      untraced.append(try untracedRun(bundle: bundle, options: runOptions, index: index))
      let report = try tracer.trace(bundle: bundle, options: runOptions)
      guard report.runtimeExitCode == 0 else {
        throw HarnessError(
          .tracer, operation: "traced run", path: tracer.runtime.path, errno: ECHILD,
          message: report.notes.joined(separator: "; "))
      }
      traced.append(report.wallMs)
    }
    let iterations = 200_000
    let perSyscall = try Self.syscallCost(session: tracer.session, iterations: iterations)
    return OverheadResult(
      runs: untraced.count, untracedMs: untraced, tracedMs: traced,
      untracedMedian: OverheadResult.quantile(untraced, 0.5), tracedMedian: OverheadResult.quantile(traced, 0.5),
      untracedP90: OverheadResult.quantile(untraced, 0.9), tracedP90: OverheadResult.quantile(traced, 0.9),
      perSyscallNs: perSyscall, loadMs: tracer.session.loadMs, iterations: iterations)
  }

  /// The best of 5 loops of getppid (a syscall glibc never caches) in each state: the minimum rejects the
  /// noise of the shared vCPUs.
  public static func syscallCost(session: TraceSession, iterations: Int) throws -> [String: Double] {
    func loop() -> Double {
      var best = Double.infinity
      for _ in 0..<5 {
        let start = ProcessRunner.monotonicNanoseconds()
        for _ in 0..<iterations { _ = getppid() }
        best = min(best, Double(ProcessRunner.monotonicNanoseconds() - start) / Double(iterations))
      }
      return best
    }
    var result: [String: Double] = [:]
    try session.bpf.reset()
    session.bpf.detach()
    result["detached"] = loop()
    try session.bpf.attach()
    defer { session.bpf.detach() }
    result["attached_untracked"] = loop()
    let tid = dd_gettid()
    try session.bpf.register(pid: tid, root: 0, armed: false)
    defer { session.bpf.unregister(pid: tid) }
    result["tracked"] = loop()
    return result
  }
}
