// Gate: compares a bench report with a stored baseline under Thresholds, and confirms suspected regressions
// with re-runs. Pure: the caller (drydock bench) does the re-running and decides the exit status.
//
// Why confirm: a single run on a shared machine can land in a noisy minute; a regression that a re-run does
// not reproduce is reported as "unconfirmed" and does not fail the gate.

public enum GateStatus: String, Codable, Sendable {
  /// suspected: exceeded once, not yet re-run; regression: confirmed by the re-runs; missing: in the
  /// baseline, no samples now; new: no baseline to compare with.
  case ok, improved, suspected, regression, unconfirmed, missing, new
}

public struct GateFinding: Codable, Sendable, Equatable {
  public var runtime: String
  public var scenario: String
  public var phase: String
  public var mode: String
  public var metric: String
  public var statistic: String
  public var baseline: Double?
  public var current: Double?
  public var limit: Double?
  /// current / baseline - 1.
  public var change: Double?
  public var status: GateStatus
  /// The value in each confirming re-run.
  public var reruns: [Double]

  public var key: String { "\(runtime) \(scenario)/\(phase) \(mode) \(metric)" }
}

public struct GateReport: Codable, Sendable {
  public var baselineStartedAt: String
  public var hostDifferences: [String]
  public var reruns: Int
  public var findings: [GateFinding]

  enum CodingKeys: String, CodingKey {
    case findings, reruns
    case baselineStartedAt = "baseline_started_at"
    case hostDifferences = "host_differences"
  }

  public init(baselineStartedAt: String, hostDifferences: [String], reruns: Int, findings: [GateFinding]) {
    self.baselineStartedAt = baselineStartedAt
    self.hostDifferences = hostDifferences
    self.reruns = reruns
    self.findings = findings
  }

  public var regressions: [GateFinding] { findings.filter { $0.status == .regression } }
  public var passed: Bool { regressions.isEmpty }
}

public enum Gate {
  /// What differs between the two hosts, e.g. "kernel: 4.19 -> 5.10".
  public static func hostDifferences(baseline: BenchEnvironment, current: BenchEnvironment, fields: [String])
    -> [String]
  {
    func field(_ environment: BenchEnvironment, _ name: String) -> String? {
      switch name {
      case "kernel": return environment.kernel
      case "kernel_version": return environment.kernelVersion
      case "machine": return environment.machine
      case "cpus": return String(environment.cpus)
      case "cgroup_mode": return environment.cgroupMode
      case "rootfs_strategy": return environment.rootfsStrategy
      default: return nil
      }
    }
    var differences = fields.compactMap { name in
      let old = field(baseline, name)
      let new = field(current, name)
      return old == new ? nil : "\(name): \(old ?? "?") -> \(new ?? "?")"
    }
    // Emulated (TCG) and hardware timings never compare, whatever the configured fields.
    let old = baseline.host?.timingClass ?? "native"
    let new = current.host?.timingClass ?? "native"
    if old != new { differences.append("timings: \(old) -> \(new) (qemu TCG emulation vs hardware)") }
    return differences
  }

  public static func value(_ result: BenchResult, metric: String, statistic: String) -> Double? {
    if metric == "failures" { return Double(result.failures) }
    let summary: Summary?
    switch metric {
    case "wall_ms": summary = result.wallMilliseconds
    case "cpu_ms": summary = result.cpuMilliseconds
    case "rss_kb": summary = result.rssKilobytes
    case "cgroup_memory_kb": summary = result.cgroupMemoryKilobytes
    case "page_faults": summary = result.pageFaults
    case "context_switches": summary = result.contextSwitches
    case "pss_kb": summary = result.pssKilobytes
    default: summary = nil
    }
    guard let summary else { return nil }
    switch statistic {
    case "p90": return summary.p90
    case "p99": return summary.p99
    case "min": return summary.min
    case "mean": return summary.mean
    default: return summary.median
    }
  }

  static let metrics = [
    "wall_ms", "cpu_ms", "rss_kb", "cgroup_memory_kb", "page_faults", "context_switches", "failures",
  ]

  static func resultKey(_ r: BenchResult) -> String { "\(r.runtime)\u{0}\(r.scenario)\u{0}\(r.phase)\u{0}\(r.mode)" }

  /// A finding for every gated metric of every result.
  public static func compare(current: BenchReport, baseline: BenchReport, thresholds: Thresholds) -> [GateFinding] {
    var baselineByKey: [String: BenchResult] = [:]
    for result in baseline.results { baselineByKey[resultKey(result)] = result }
    var findings: [GateFinding] = []
    for result in current.results where thresholds.gates(runtime: result.runtime) {
      let old = baselineByKey[resultKey(result)]
      for metric in metrics {
        guard
          let band = thresholds.band(
            metric: metric, runtime: result.runtime, scenario: result.scenario,
            phase: result.phase, mode: result.mode)
        else { continue }
        let statistic = metric == "failures" ? "count" : (band.statistic ?? "median")
        var finding = GateFinding(
          runtime: result.runtime, scenario: result.scenario, phase: result.phase,
          mode: result.mode, metric: metric, statistic: statistic, baseline: nil,
          current: value(result, metric: metric, statistic: statistic), limit: nil,
          change: nil, status: .ok, reruns: [])
        guard let old, let before = value(old, metric: metric, statistic: statistic) else {
          finding.status = .new
          findings.append(finding)
          continue
        }
        finding.baseline = before
        guard let now = finding.current else {
          // Samples in the baseline and none now: every trial failed, which "failures" reports as well.
          finding.status = .missing
          findings.append(finding)
          continue
        }
        let relative = band.relative ?? 0
        let absolute = band.absolute ?? 0
        let limit = before * (1 + relative) + absolute
        finding.limit = limit
        finding.change = before > 0 ? now / before - 1 : nil
        if now > limit && separated(result, old, metric: metric, required: band.ciSeparation == true) {
          finding.status = .suspected
        } else if now < before * (1 - relative) - absolute {
          finding.status = .improved
        }
        findings.append(finding)
      }
    }
    return findings
  }

  /// With ci_separation, the median's bootstrap intervals must not overlap: the current low end above the
  /// baseline's high end. Without intervals (old reports, counts) the band alone decides.
  static func separated(_ current: BenchResult, _ baseline: BenchResult, metric: String, required: Bool) -> Bool {
    guard required else { return true }
    func interval(_ r: BenchResult) -> [Double]? {
      switch metric {
      case "wall_ms": return r.wallMilliseconds?.ci95
      case "cpu_ms": return r.cpuMilliseconds?.ci95
      case "rss_kb": return r.rssKilobytes?.ci95
      case "cgroup_memory_kb": return r.cgroupMemoryKilobytes?.ci95
      case "page_faults": return r.pageFaults?.ci95
      case "context_switches": return r.contextSwitches?.ci95
      default: return nil
      }
    }
    guard let now = interval(current), let before = interval(baseline), now.count == 2, before.count == 2 else {
      return true
    }
    return now[0] > before[1]
  }

  /// Each suspected finding becomes .regression when every re-run is suspected again, else .unconfirmed.
  public static func confirm(
    _ findings: [GateFinding], reruns: [BenchReport], baseline: BenchReport,
    thresholds: Thresholds
  ) -> [GateFinding] {
    let rerunFindings = reruns.map { report in
      Dictionary(
        compare(current: report, baseline: baseline, thresholds: thresholds).map { ($0.key, $0) },
        uniquingKeysWith: { first, _ in first })
    }
    return findings.map { finding in
      guard finding.status == .suspected else { return finding }
      var confirmed = finding
      let again = rerunFindings.map { $0[finding.key] }
      confirmed.reruns = again.compactMap { $0?.current }
      // Every re-run must exceed the band again; no re-run at all (confirm_reruns 0) trusts the first run.
      let reproduced = again.allSatisfy { $0?.status == .suspected || $0?.status == .missing }
      confirmed.status = reproduced ? .regression : .unconfirmed
      return confirmed
    }
  }

  /// The scenarios and modes to re-run.
  public static func suspects(_ findings: [GateFinding]) -> (scenarios: Set<String>, modes: Set<String>) {
    let suspected = findings.filter { $0.status == .suspected }
    return (Set(suspected.map(\.scenario)), Set(suspected.map(\.mode)))
  }

  /// For the terminal.
  public static func summaryLines(_ report: GateReport) -> [String] {
    var lines: [String] = []
    for difference in report.hostDifferences {
      lines.append("gate: warning: baseline from another host: \(difference)")
    }
    for finding in report.findings where [.regression, .unconfirmed, .missing].contains(finding.status) {
      lines.append("gate: \(finding.status.rawValue): \(describe(finding))")
    }
    let improved = report.findings.filter { $0.status == .improved }.count
    lines.append(
      "gate: \(report.regressions.count) confirmed regression(s), "
        + "\(report.findings.filter { $0.status == .unconfirmed }.count) unconfirmed, \(improved) improved, "
        + "\(report.findings.count) values compared")
    return lines
  }

  public static func describe(_ f: GateFinding) -> String {
    func n(_ v: Double?) -> String { v.map { MarkdownTable.number($0, decimals: 2) } ?? "–" }
    var text = "\(f.key) \(f.statistic) \(n(f.baseline)) -> \(n(f.current)) (limit \(n(f.limit))"
    if let change = f.change {
      text += ", \(change >= 0 ? "+" : "")\(MarkdownTable.number(change * 100, decimals: 1))%"
    }
    text += ")"
    if !f.reruns.isEmpty { text += "; re-run: " + f.reruns.map { n($0) }.joined(separator: ", ") }
    return text
  }
}
