// Merge: puts the shards of one run (drydock conformance/bench --shard i/n) back together, and combines
// results of one kind from several --in directories. Pure: inputs in, merged values and notes out.
//
// Rules: bench results are concatenated, ordered by shard index; the same runtime/scenario/phase/mode in
// two inputs is an error (two shards measured the same thing, so the split was wrong). Conformance verdicts
// are united per runtime by case id; a case judged differently in two inputs is noted and the failing verdict
// kept, so a merge never hides a failure. Traces are concatenated, the first of a runtime/scenario/phase kept.
import Bench
import DrydockKit

public struct Merged: Sendable {
  public var bench: BenchReport?
  public var conformance: ConformanceDoc?
  public var traces: [TraceRecord]
  public var notes: [String]
  /// Conformance results per host (cgroup mode, VM), one merged document each, when the inputs came from more
  /// than one: `conformance` is then the first host's, and the report shows every host side by side.
  public var conformanceByHost: [ConformanceDoc] = []

  public init(
    bench: BenchReport?, conformance: ConformanceDoc?, traces: [TraceRecord], notes: [String],
    conformanceByHost: [ConformanceDoc] = []
  ) {
    self.bench = bench
    self.conformance = conformance
    self.traces = traces
    self.notes = notes
    self.conformanceByHost = conformanceByHost
  }
}

public enum Merge {
  public static func all(_ inputs: ReportInputs) throws -> Merged {
    var notes: [String] = []
    let bench = try bench(inputs.bench, notes: &notes)
    // Results of different hosts (a v2 VM next to this hybrid host) are different facts: merged per host only.
    var hosts: [HostLabel?] = []
    for doc in inputs.conformance where !hosts.contains(doc.host) { hosts.append(doc.host) }
    let byHost = hosts.compactMap { host in conformance(inputs.conformance.filter { $0.host == host }, notes: &notes) }
    return Merged(
      bench: bench, conformance: byHost.first, traces: traces(inputs.traces), notes: notes,
      conformanceByHost: byHost.count > 1 ? byHost : [])
  }

  public static func bench(_ reports: [BenchReport], notes: inout [String]) throws -> BenchReport? {
    guard let first = reports.first else { return nil }
    if reports.count == 1 && first.environment.shard == nil { return first }
    func shardIndex(_ r: BenchReport) -> Int { r.environment.shard.flatMap { try? Shard(parsing: $0) }?.index ?? 0 }
    let ordered = reports.enumerated().sorted {
      (shardIndex($0.element), $0.offset) < (shardIndex($1.element), $1.offset)
    }.map(\.element)
    var environment = ordered[0].environment
    environment.shard = nil
    var seenRuntimes = Set(environment.runtimes.map(\.name))
    var results: [BenchResult] = []
    var seen = Set<String>()
    var findings: [GateFinding] = []
    var reruns = 0
    var hostDifferences: [String] = []
    for (position, report) in ordered.enumerated() {
      for runtime in report.environment.runtimes where seenRuntimes.insert(runtime.name).inserted {
        environment.runtimes.append(runtime)
      }
      if report.environment.kernel != environment.kernel || report.environment.cpus != environment.cpus {
        notes.append(
          "bench shard \(report.environment.shard ?? "?") ran on another host (\(report.environment.kernel), "
            + "\(report.environment.cpus) CPUs): compare ratios within a shard, not absolute times across shards")
      }
      if position > 0 { environment.durationSeconds += report.environment.durationSeconds }
      environment.loadAfter = report.environment.loadAfter
      for result in report.results {
        let key = "\(result.runtime) \(result.scenario)/\(result.phase) \(result.mode)"
        guard seen.insert(key).inserted else {
          throw HarnessError(
            .report, operation: "merge bench reports",
            message: "\(key) appears in two inputs: were the shards split with the same --shard n?")
        }
        results.append(result)
      }
      if let gate = report.gate {
        findings += gate.findings
        reruns = max(reruns, gate.reruns)
        hostDifferences += gate.hostDifferences.filter { !hostDifferences.contains($0) }
      }
    }
    let shards = reports.compactMap(\.environment.shard)
    for missing in missingShards(shards) { notes.append("bench shard \(missing) is missing") }
    let gates = ordered.compactMap(\.gate)
    let gate =
      gates.isEmpty
      ? nil
      : GateReport(
        baselineStartedAt: gates[0].baselineStartedAt, hostDifferences: hostDifferences,
        reruns: reruns, findings: findings)
    return BenchReport(environment: environment, results: results, gate: gate)
  }

  public static func conformance(_ docs: [ConformanceDoc], notes: inout [String]) -> ConformanceDoc? {
    guard let first = docs.first else { return nil }
    if docs.count == 1 { return first }
    var runtimes: [ConformanceRuntime] = []
    for doc in docs {
      for runtime in doc.runtimes {
        guard let index = runtimes.firstIndex(where: { $0.name == runtime.name }) else {
          runtimes.append(runtime)
          continue
        }
        for entry in runtime.cases {
          if let existing = runtimes[index].cases.firstIndex(where: { $0.id == entry.id }) {
            let old = runtimes[index].cases[existing]
            if old.status != entry.status {
              notes.append(
                "conformance \(runtime.name) \(entry.id): \(old.status) in one input, \(entry.status) in another")
              if entry.status == "fail" { runtimes[index].cases[existing] = entry }
            }
          } else {
            runtimes[index].cases.append(entry)
          }
        }
      }
    }
    var merged = ConformanceDoc(
      generatedAt: docs.map(\.generatedAt).min() ?? first.generatedAt, caseCount: 0,
      wallSeconds: docs.reduce(0) { $0 + $1.wallSeconds }, runtimes: runtimes)
    merged.host = first.host
    merged.caseCount = merged.caseIDs.count
    for runtime in runtimes where runtime.cases.count < merged.caseCount {
      notes.append(
        "conformance \(runtime.name): \(merged.caseCount - runtime.cases.count) case(s) missing from its inputs")
    }
    return merged
  }

  public static func traces(_ records: [TraceRecord]) -> [TraceRecord] {
    var seen = Set<String>()
    return records.filter { seen.insert("\($0.runtime)\u{0}\($0.scenario ?? "")\u{0}\($0.phase)").inserted }
  }

  /// "2/4" for each part of i/n not present.
  public static func missingShards(_ shards: [String]) -> [String] {
    let parsed = shards.compactMap { try? Shard(parsing: $0) }
    guard let count = parsed.first?.count else { return [] }
    let present = Set(parsed.filter { $0.count == count }.map(\.index))
    return (1...count).filter { !present.contains($0) }.map { "\($0)/\(count)" }
  }
}
