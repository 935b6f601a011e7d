// Levels: where one runtime must stand against another in the same interleaved run ("hull's CPU above the
// floor at most 0.75x crun's"). Checked from one report, with no stored baseline: a ratio between runtimes
// measured side by side survives the shared machines' weather that moves absolute figures, so a level holds
// on any host where both runtimes run. bench/thresholds.json's "levels" sets them; `drydock bench --levels`
// checks them and exits 2 when one is exceeded.
import Foundation

/// One limit: `runtime`'s `statistic` of `metric` in `scenario`/`phase`/`mode`, divided by `reference`'s,
/// at most `maxRatio`. With `aboveFloor`, the floor's value (same scenario, phase and mode) is taken off both
/// first: the ratio of what each runtime spends beyond the kernel's own work.
public struct LevelLimit: Codable, Sendable, Equatable {
  public var runtime: String
  public var reference: String
  public var scenario: String
  public var phase: String
  /// Default "back-to-back".
  public var mode: String?
  /// wall_ms, cpu_ms, rss_kb, pss_kb, cgroup_memory_kb, page_faults, context_switches.
  public var metric: String
  /// Default "median".
  public var statistic: String?
  public var aboveFloor: Bool?
  public var maxRatio: Double
  public var comment: String?

  enum CodingKeys: String, CodingKey {
    case runtime, reference, scenario, phase, mode, metric, statistic, comment
    case aboveFloor = "above_floor"
    case maxRatio = "max_ratio"
  }

  public init(
    runtime: String, reference: String, scenario: String, phase: String, mode: String? = nil,
    metric: String, statistic: String? = nil, aboveFloor: Bool? = nil, maxRatio: Double, comment: String? = nil
  ) {
    self.runtime = runtime
    self.reference = reference
    self.scenario = scenario
    self.phase = phase
    self.mode = mode
    self.metric = metric
    self.statistic = statistic
    self.aboveFloor = aboveFloor
    self.maxRatio = maxRatio
    self.comment = comment
  }

  public var key: String {
    "\(runtime)/\(reference) \(scenario)/\(phase) \(mode ?? "back-to-back") \(metric)\(aboveFloor == true ? " above floor" : "")"
  }
}

public struct LevelFinding: Codable, Sendable, Equatable {
  public enum Status: String, Codable, Sendable {
    case ok, exceeded
    case notMeasured = "not measured"
  }
  public var limit: LevelLimit
  public var value: Double?
  public var referenceValue: Double?
  public var floorValue: Double?
  public var ratio: Double?
  public var status: Status
}

public enum Levels {
  public static func check(_ report: BenchReport, limits: [LevelLimit]) -> [LevelFinding] {
    limits.map { limit in
      let mode = limit.mode ?? "back-to-back"
      let statistic = limit.statistic ?? "median"
      func value(_ runtime: String) -> Double? {
        report.results.first {
          $0.runtime == runtime && $0.scenario == limit.scenario && $0.phase == limit.phase && $0.mode == mode
        }
        .flatMap { Gate.value($0, metric: limit.metric, statistic: statistic) }
      }
      var finding = LevelFinding(
        limit: limit, value: value(limit.runtime), referenceValue: value(limit.reference),
        floorValue: limit.aboveFloor == true ? value("floor") : nil, ratio: nil, status: .notMeasured)
      guard let mine = finding.value, let theirs = finding.referenceValue,
        limit.aboveFloor != true || finding.floorValue != nil
      else { return finding }
      let floor = finding.floorValue ?? 0
      // A reference at or below the floor leaves nothing to divide by: not measured, not a pass.
      guard theirs - floor > 0 else { return finding }
      let ratio = (mine - floor) / (theirs - floor)
      finding.ratio = ratio
      finding.status = ratio <= limit.maxRatio ? .ok : .exceeded
      return finding
    }
  }

  public static func passed(_ findings: [LevelFinding]) -> Bool { !findings.contains { $0.status == .exceeded } }

  public static func summaryLines(_ findings: [LevelFinding]) -> [String] {
    findings.map { finding in
      let limit = finding.limit
      func number(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
      var line =
        "level \(finding.status.rawValue.uppercased()): \(limit.key): \(number(finding.value)) vs \(number(finding.referenceValue))"
      if let floor = finding.floorValue { line += " (floor \(number(floor)))" }
      line += ", ratio \(number(finding.ratio)) (max \(number(limit.maxRatio)))"
      return line
    }
  }
}
