// Synthetic inputs for the Reports tests: a bench report of three runtimes and the floor, a conformance
// result and traces, all fixed numbers so renderers and gates give the same output every time.
import Bench
import Foundation

@testable import Reports

enum Fixtures {
  /// The repository this test file lives in (bench/scenarios, bench/thresholds.json).
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// A summary centred on `median` with a spread proportional to `noise` (a fraction of the median).
  static func summary(_ median: Double, noise: Double = 0.05) -> Summary {
    let d = median * noise
    return Summary(
      median: median, p90: median + 2 * d, p99: median + 4 * d, min: median - 2 * d, max: median + 6 * d,
      mean: median + 0.3 * d, ci95: [median - 0.4 * d, median + 0.4 * d], p25: median - d, p75: median + d)
  }

  static func result(
    _ runtime: String, _ scenario: String, _ phase: String, _ mode: String,
    wall: Double, cpu: Double, rss: Double, failures: Int = 0
  ) -> BenchResult {
    var r = BenchResult(
      runtime: runtime, scenario: scenario, phase: phase, mode: mode, n: 100 - failures, failures: failures,
      wallMilliseconds: summary(wall), cpuMilliseconds: summary(cpu, noise: 0.02),
      rssKilobytes: summary(rss, noise: 0.01), firstFailure: failures > 0 ? "exit status 1: boom" : nil)
    r.pageFaults = summary((rss / 6).rounded(), noise: 0.005)
    r.contextSwitches = summary((cpu * 2).rounded(), noise: 0.05)
    return r
  }

  static func environment(runtimes: [String] = ["hull", "crun", "runc"]) -> BenchEnvironment {
    let json = """
      {"kernel":"4.19.0-test","kernel_version":"#1 SMP","machine":"x86_64","cgroup_mode":"v1","v1_controllers":["cpu"],
       "unified_controllers":[],"cpus":2,"load_before":[0.5,0.4,0.3],"load_after":[0.6,0.4,0.3],
       "capability_bounding_set":"0x1ffffffffff","runtimes":[\(runtimes.map { "{\"name\":\"\($0)\",\"path\":\"/usr/bin/\($0)\",\"version\":\"\($0) 1.0\",\"binary_bytes\":\($0.count * 1_000_000)}" }.joined(separator: ","))],
       "floor":"cc -O2 -static","started_at":"2026-11-29T12:00:00Z","duration_s":120,"runs":100,"warmup":5,
       "modes":["isolated","back-to-back"],"isolation_sleep_ms":50,"rootfs_strategy":"bind-ro","seed":24301,"measured_with":"measure"}
      """
    return try! JSONDecoder().decode(BenchEnvironment.self, from: Data(json.utf8))
  }

  /// Per runtime: run wall, run CPU, RSS, and create/start/delete walls (figures of docs/performance.md).
  static let figures: [(String, Double, Double, Double, [Double])] = [
    ("hull", 12.0, 7.5, 2100, [8.0, 3.0, 2.5]),
    ("crun", 29.9, 18.5, 3300, [32.0, 8.0, 8.0]),
    ("runc", 52.8, 45.3, 10000, [55.0, 9.0, 10.0]),
  ]

  static func bench(scale: [String: Double] = [:], cpuScale: [String: Double] = [:]) -> BenchReport {
    var results: [BenchResult] = []
    for mode in ["isolated", "back-to-back"] {
      let slower = mode == "isolated" ? 1.2 : 1.0
      for (name, wall, cpu, rss, _) in figures {
        results.append(
          result(
            name, "run", "run", mode, wall: wall * slower * (scale[name] ?? 1),
            cpu: cpu * (cpuScale[name] ?? 1), rss: rss))
      }
      results.append(result("floor", "run", "run", mode, wall: 7.1 * slower, cpu: 6.1, rss: 1800))
    }
    for phaseIndex in 0..<4 {
      let phase = ["create", "start", "delete", "total"][phaseIndex]
      for (name, _, cpu, rss, phases) in figures {
        let wall = phaseIndex == 3 ? phases.reduce(0, +) : phases[phaseIndex]
        var r = result(
          name, "lifecycle", phase, "back-to-back", wall: wall * (scale[name] ?? 1),
          cpu: cpu / 2 * (cpuScale[name] ?? 1), rss: rss)
        if phase == "total" { r.cgroupMemoryKilobytes = summary(rss / 4, noise: 0.01) }
        results.append(r)
      }
    }
    for (name, wall, cpu, rss, _) in figures {
      results.append(
        result(
          name, "exec", "exec", "back-to-back", wall: wall / 3, cpu: cpu / 3, rss: rss,
          failures: name == "runc" ? 2 : 0))
    }
    for (concurrency, speedup) in [(1, 1.0), (2, 1.6)] {
      for (name, wall, cpu, rss, _) in figures {
        var r = result(
          name, "throughput-\(concurrency)", "batch", "back-to-back", wall: wall * 20 / speedup, cpu: cpu * 20, rss: rss
        )
        r.containersPerSecond = summary(20_000 / (wall * 20 / speedup), noise: 0.03)
        results.append(r)
      }
    }
    return BenchReport(environment: environment(), results: results)
  }

  static func conformance() -> ConformanceDoc {
    let cases: [(String, String, String)] = (1...24).map { i in
      ("case-\(i < 10 ? "0" : "")\(i)", i % 3 == 0 ? "lifecycle" : "config", i % 4 == 0 ? "SHOULD" : "MUST")
    }
    func runtime(_ name: String, fail: Set<Int>, skip: Set<Int>) -> ConformanceRuntime {
      ConformanceRuntime(
        name: name, path: "/usr/bin/\(name)", version: "\(name) 1.0",
        cases: cases.enumerated().map { i, c in
          let status = fail.contains(i) ? "fail" : skip.contains(i) ? "skip" : "pass"
          return ConformanceCaseEntry(
            id: c.0, area: c.1, status: status, requirement: "config.md#\(c.0) \(c.2)", level: c.2,
            message: status == "fail" ? "expected <0>, got \"1\" & more" : status == "skip" ? "needs cgroup v2" : "",
            text: "The runtime MUST do \(c.0).", seconds: 0.25)
        })
    }
    return ConformanceDoc(
      generatedAt: "2026-11-29T12:00:00Z", caseCount: cases.count, wallSeconds: 42,
      runtimes: [
        runtime("hull", fail: [5], skip: [20, 21]),
        runtime("crun", fail: [], skip: [20, 21]),
        runtime("runc", fail: [5, 11], skip: [20, 21, 22]),
      ])
  }

  static func traces() -> [TraceRecord] {
    let base = [
      "openat": 40, "mount": 30, "read": 60, "close": 50, "mmap": 25, "write": 10, "pivot_root": 1, "clone3": 1,
    ]
    func scaled(_ factor: Double, extra: [String: Int]) -> [String: Int] {
      var out = base.mapValues { Int(Double($0) * factor) }
      for (k, v) in extra { out[k, default: 0] += v }
      return out
    }
    let hull = scaled(1, extra: [:])
    let crun = scaled(2, extra: ["futex": 5])
    let runc = scaled(4, extra: ["futex": 300, "epoll_pwait": 120])
    var records: [TraceRecord] = []
    for (name, calls) in [("hull", hull), ("crun", crun), ("runc", runc)] {
      let total: Int = calls.values.reduce(0, +)
      let start: [String: Int] = calls.mapValues { $0 / 4 }
      records.append(TraceRecord(runtime: name, phase: "create", totalSyscalls: total, syscalls: calls))
      records.append(TraceRecord(runtime: name, phase: "start", totalSyscalls: total / 4, syscalls: start))
    }
    return records
  }

  static func model(gate: GateReport? = nil) -> ReportModel {
    var bench = bench()
    bench.gate = gate
    let merged = Merged(
      bench: bench, conformance: conformance(), traces: traces(), notes: ["bench shard 3/3 is missing"])
    return ReportModel.build(
      merged, inputs: ["in/bench.json", "in/conformance.json", "in/trace.json"],
      generatedAt: "2026-11-29T12:30:00Z", gateRuntime: "hull")
  }

  static func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "drydock-reports-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
