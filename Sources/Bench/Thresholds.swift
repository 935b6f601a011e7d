// Thresholds: how far a result may move from the stored baseline before `drydock bench --baseline` calls it a
// regression. Loaded from JSON (bench/thresholds.json is the committed example).
//
// Why bands per metric: on the shared 2-vCPU machines wall medians moved up to 60% between runs while CPU time
// and counts stayed within a few percent (docs/performance.md), so one tolerance for everything
// would either miss real CPU regressions or fail on every noisy wall clock.
//
// Format:
//   {
//     "require_same_host": true,          environment fields in "host_fields" must match the baseline's
//     "host_fields": ["kernel", "machine", "cpus", "cgroup_mode"],
//     "confirm_reruns": 1,                re-run the suspected scenarios this many times; a regression is
//                                         confirmed only when every re-run exceeds the band again
//     "runtimes": ["hull"],               gate only these (default: every runtime but the floor)
//     "metrics": { "<metric>": Band, ... },   metrics: wall_ms, cpu_ms, rss_kb, cgroup_memory_kb, page_faults,
//                                         context_switches (summaries), failures (a count)
//     "overrides": [ { "scenario", "phase", "mode", "runtime", "metric": glob or absent = any, Band fields } ]
//   }
//   Band: { "statistic": "median"|"p90"|"p99"|"min"|"mean" (default median), "relative": 0.1,
//           "absolute": 0.5 (in the metric's unit), "ci_separation": true|false (default false), "skip": false }
//   A value regresses when current > baseline * (1 + relative) + absolute and, with ci_separation, the
//   current median's 95% interval lies wholly above the baseline's (so a median that moved inside the
//   noise does not count). It improves when current < baseline * (1 - relative) - absolute.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct Band: Codable, Sendable, Equatable {
  public var statistic: String?
  public var relative: Double?
  public var absolute: Double?
  public var ciSeparation: Bool?
  public var skip: Bool?

  enum CodingKeys: String, CodingKey {
    case statistic, relative, absolute, skip
    case ciSeparation = "ci_separation"
  }

  public init(
    statistic: String? = "median", relative: Double? = nil, absolute: Double? = nil,
    ciSeparation: Bool? = nil, skip: Bool? = nil
  ) {
    self.statistic = statistic
    self.relative = relative
    self.absolute = absolute
    self.ciSeparation = ciSeparation
    self.skip = skip
  }

  /// Fields set in `other` win; the rest stay.
  func overlaid(by other: BandOverride) -> Band {
    Band(
      statistic: other.statistic ?? statistic, relative: other.relative ?? relative,
      absolute: other.absolute ?? absolute, ciSeparation: other.ciSeparation ?? ciSeparation,
      skip: other.skip ?? skip)
  }
}

/// Band fields for the results whose scenario, phase, mode, runtime and metric match these globs.
public struct BandOverride: Codable, Sendable {
  public var scenario: String?
  public var phase: String?
  public var mode: String?
  public var runtime: String?
  public var metric: String?
  public var statistic: String?
  public var relative: Double?
  public var absolute: Double?
  public var ciSeparation: Bool?
  public var skip: Bool?

  enum CodingKeys: String, CodingKey {
    case scenario, phase, mode, runtime, metric, statistic, relative, absolute, skip
    case ciSeparation = "ci_separation"
  }

  func matches(metric: String, runtime: String, scenario: String, phase: String, mode: String) -> Bool {
    func glob(_ pattern: String?, _ value: String) -> Bool {
      guard let pattern else { return true }
      return fnmatch(pattern, value, 0) == 0
    }
    return glob(self.metric, metric) && glob(self.runtime, runtime) && glob(self.scenario, scenario)
      && glob(self.phase, phase) && glob(self.mode, mode)
  }
}

public struct Thresholds: Codable, Sendable {
  public var requireSameHost: Bool?
  public var hostFields: [String]?
  public var confirmReruns: Int?
  public var runtimes: [String]?
  public var metrics: [String: Band]?
  public var overrides: [BandOverride]?
  /// Ratios between runtimes of one run that `drydock bench --levels` holds them to (Levels.swift).
  public var levels: [LevelLimit]?

  enum CodingKeys: String, CodingKey {
    case runtimes, metrics, overrides, levels
    case requireSameHost = "require_same_host"
    case hostFields = "host_fields"
    case confirmReruns = "confirm_reruns"
  }

  public init(metrics: [String: Band]? = nil) { self.metrics = metrics }

  /// Tight on what the machine barely perturbs (CPU, memory, failures), loose on the wall clock.
  /// Used for a metric the file leaves out ("skip": true drops one).
  public static let defaultMetrics: [String: Band] = [
    "cpu_ms": Band(relative: 0.10, absolute: 0.3, ciSeparation: true),
    "rss_kb": Band(relative: 0.05, absolute: 256),
    "cgroup_memory_kb": Band(relative: 0.05, absolute: 256),
    "page_faults": Band(relative: 0.05, absolute: 10),
    // Context switches follow the scheduler (load, a Go runtime's threads): looser than faults.
    "context_switches": Band(relative: 0.25, absolute: 5, ciSeparation: true),
    "wall_ms": Band(relative: 0.40, absolute: 2.0, ciSeparation: true),
    "failures": Band(statistic: "count", relative: 0, absolute: 0),
  ]

  public static let defaultHostFields = ["kernel", "machine", "cpus", "cgroup_mode"]

  public var effectiveHostFields: [String] { hostFields ?? Self.defaultHostFields }
  public var effectiveConfirmReruns: Int { Swift.max(confirmReruns ?? 1, 0) }

  /// A HarnessError(.bench, operation: "read thresholds") naming the file when it cannot be read or decoded.
  public static func load(_ path: String) throws -> Thresholds {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw HarnessError(
        .bench, operation: "read thresholds", path: path, errno: errno, message: String(cString: strerror(errno)))
    }
    return try decode(data, path: path)
  }

  public static func decode(_ data: Data, path: String = "<thresholds>") throws -> Thresholds {
    let thresholds: Thresholds
    do { thresholds = try JSONDecoder().decode(Thresholds.self, from: data) } catch {
      throw HarnessError(.bench, operation: "parse thresholds", path: path, message: "\(error)")
    }
    let statistics: Set<String> = ["median", "p90", "p99", "min", "mean", "count"]
    for (metric, band) in thresholds.metrics ?? [:] {
      if let statistic = band.statistic, !statistics.contains(statistic) {
        throw HarnessError(
          .bench, operation: "parse thresholds", path: path,
          message: "metric \(metric): statistic '\(statistic)' is not one of \(statistics.sorted())")
      }
      if (band.relative ?? 0) < 0 || (band.absolute ?? 0) < 0 {
        throw HarnessError(
          .bench, operation: "parse thresholds", path: path, message: "metric \(metric): negative band")
      }
    }
    return thresholds
  }

  /// Whether this runtime is gated at all (the floor never is: it is the host's own cost).
  public func gates(runtime: String) -> Bool {
    if let runtimes { return runtimes.contains(runtime) }
    return runtime != "floor"
  }

  /// nil when the metric is not gated there.
  public func band(metric: String, runtime: String, scenario: String, phase: String, mode: String) -> Band? {
    let configured = Self.defaultMetrics.merging(metrics ?? [:]) { _, fromFile in fromFile }
    guard var band = configured[metric] else { return nil }
    for override in overrides ?? []
    where override.matches(
      metric: metric, runtime: runtime, scenario: scenario,
      phase: phase, mode: mode)
    {
      band = band.overlaid(by: override)
    }
    return band.skip == true ? nil : band
  }
}
