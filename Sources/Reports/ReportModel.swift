// ReportModel: everything the renderers draw, in one value, and its JSON form (report.json).
//
// The verdict is what a release gate asks: a confirmed bench regression fails it; with a gate runtime named
// (drydock report --gate NAME), so does a MUST case that runtime fails and a bench series where all its
// trials failed. Anything else (crun failing a case, runc being slow) is information, not a failure.
import Bench
import DrydockKit
import Foundation

public struct ReportVerdict: Codable, Sendable, Equatable {
  public var passed: Bool
  public var reasons: [String]
}

public struct ReportModel: Codable, Sendable {
  public var generatedAt: String
  public var inputs: [String]
  public var notes: [String]
  public var gateRuntime: String?
  public var bench: BenchReport?
  public var conformance: ConformanceDoc?
  public var traces: [TraceRecord]
  /// Runtimes that could not run a trivial container on the host the results came from (nil: none).
  public var unusable: [RuntimeUsability]?
  /// Conformance per host when the inputs came from several (cgroup modes, VMs): nil otherwise.
  public var modes: [ModeColumn]?
  public var verdict: ReportVerdict

  enum CodingKeys: String, CodingKey {
    case inputs, notes, bench, conformance, traces, verdict, unusable, modes
    case generatedAt = "generated_at"
    case gateRuntime = "gate_runtime"
  }

  /// `requireAll`: an unusable runtime fails the verdict even when it is only a comparison.
  public static func build(
    _ merged: Merged, inputs: [String], generatedAt: String, gateRuntime: String? = nil,
    requireAll: Bool = false
  ) -> ReportModel {
    var reasons: [String] = []
    var unusable: [RuntimeUsability] = []
    for found in (merged.conformance?.runtimes.compactMap(\.unusable) ?? [])
      + (merged.bench?.environment.unusable ?? [])
    where !unusable.contains(where: { $0.name == found.name }) {
      unusable.append(found)
    }
    for runtime in unusable where requireAll || runtime.name == gateRuntime {
      reasons.append((runtime.name == gateRuntime ? "the gated runtime " : "--require-all: ") + runtime.summary)
    }
    for finding in merged.bench?.gate?.regressions ?? [] {
      reasons.append("bench regression: " + Gate.describe(finding))
    }
    if let gateRuntime {
      let hosts = merged.conformanceByHost.isEmpty ? [merged.conformance].compactMap { $0 } : merged.conformanceByHost
      for doc in hosts {
        guard let runtime = doc.runtimes.first(where: { $0.name == gateRuntime }) else { continue }
        let on = merged.conformanceByHost.isEmpty ? "" : " on \(doc.host?.summary ?? "an unknown host")"
        for entry in runtime.cases where entry.status == "fail" && entry.level == "MUST" {
          reasons.append("conformance: \(gateRuntime) fails MUST case \(entry.id)\(on) (\(entry.requirement))")
        }
      }
      for result in merged.bench?.results ?? []
      where result.runtime == gateRuntime && result.n == 0 && result.failures > 0 {
        reasons.append("bench: every \(result.scenario)/\(result.phase) \(result.mode) trial of \(gateRuntime) failed")
      }
    }
    return ReportModel(
      generatedAt: generatedAt, inputs: inputs, notes: merged.notes, gateRuntime: gateRuntime,
      bench: merged.bench, conformance: merged.conformance, traces: merged.traces,
      unusable: unusable.isEmpty ? nil : unusable,
      modes: merged.conformanceByHost.isEmpty ? nil : merged.conformanceByHost.map(ModeColumn.from),
      verdict: ReportVerdict(passed: reasons.isEmpty, reasons: reasons))
  }

  /// Every runtime in first-seen order (bench, conformance, traces), the floor last.
  public var runtimeNames: [String] {
    var names: [String] = []
    func add(_ name: String) { if !names.contains(name) { names.append(name) } }
    bench?.environment.runtimes.forEach { add($0.name) }
    bench?.results.filter { $0.runtime != "floor" }.forEach { add($0.runtime) }
    conformance?.runtimes.forEach { add($0.name) }
    traces.forEach { add($0.runtime) }
    if bench?.results.contains(where: { $0.runtime == "floor" }) == true
      || traces.contains(where: { $0.runtime == "floor" })
    {
      names.removeAll { $0 == "floor" }
      names.append("floor")
    }
    return names
  }
}

public enum JSONReport {
  /// Sorted keys, pretty-printed, newline-terminated.
  public static func render(_ model: ReportModel) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return String(decoding: try encoder.encode(model), as: UTF8.self) + "\n"
    } catch {
      throw HarnessError(.report, operation: "encode report.json", message: "\(error)")
    }
  }
}
