// TraceDiff: syscall-count differences between two reports of the same bundle and phase (two runtimes, or two
// builds of one), largest changes first.
import Foundation

public struct TraceDiff: Codable, Sendable {
  public struct Row: Codable, Sendable {
    public var name: String
    public var a: Int
    public var b: Int
    public var delta: Int
    public var errorsA: Int
    public var errorsB: Int
  }

  /// The reports' labels.
  public var a: String
  public var b: String
  public var totalA: Int
  public var totalB: Int
  public var rows: [Row]
  /// Totals per bucket.
  public var buckets: [Row]
  /// When the phase or the bundle differ.
  public var warnings: [String] = []

  public init(_ first: TraceReport, _ second: TraceReport) {
    func label(_ r: TraceReport) -> String { "\(r.runtime) \(r.runtimeVersion)".trimmingCharacters(in: .whitespaces) }
    a = label(first)
    b = label(second)
    if a == b {
      a += " (A)"
      b += " (B)"
    }
    totalA = first.totalSyscalls
    totalB = second.totalSyscalls
    let names = Set(first.syscalls.keys).union(second.syscalls.keys)
    rows = names.map { name in
      let x = first.syscalls[name] ?? 0
      let y = second.syscalls[name] ?? 0
      return Row(
        name: name, a: x, b: y, delta: y - x, errorsA: first.errors[name] ?? 0, errorsB: second.errors[name] ?? 0)
    }.sorted { (abs($1.delta), $0.name) < (abs($0.delta), $1.name) }
    buckets = TraceReport.bucketNames.map { name in
      let x = first.buckets[name]
      let y = second.buckets[name]
      return Row(
        name: name, a: x?.total ?? 0, b: y?.total ?? 0, delta: (y?.total ?? 0) - (x?.total ?? 0),
        errorsA: x?.errors ?? 0, errorsB: y?.errors ?? 0)
    }
    if first.phase != second.phase { warnings.append("phases differ: \(first.phase) vs \(second.phase)") }
    if first.bundle != second.bundle { warnings.append("bundles differ: \(first.bundle) vs \(second.bundle)") }
  }

  public func markdown(limit: Int = 40) -> String {
    var out = "# drydock trace diff: A = \(a), B = \(b)\n\n"
    for warning in warnings { out += "- warning: \(warning)\n" }
    let percent = totalA > 0 ? String(format: " (%+.1f%%)", Double(totalB - totalA) * 100 / Double(totalA)) : ""
    out += "- total syscalls: A \(totalA), B \(totalB), B−A \(totalB - totalA)\(percent)\n\n"
    out += "| bucket | A | B | B−A |\n|---|---:|---:|---:|\n"
    for row in buckets { out += "| \(row.name) | \(row.a) | \(row.b) | \(row.delta) |\n" }
    let changed = rows.filter { $0.delta != 0 || $0.errorsA != $0.errorsB }
    out += "\n| syscall | A | B | B−A | errors A | errors B |\n|---|---:|---:|---:|---:|---:|\n"
    for row in changed.prefix(limit) {
      out +=
        "| \(row.name) | \(row.a) | \(row.b) | \(row.delta > 0 ? "+" : "")\(row.delta) | \(row.errorsA) | \(row.errorsB) |\n"
    }
    if changed.count > limit { out += "\n\(changed.count - limit) more syscalls differ (see --json).\n" }
    let onlyA = rows.filter { $0.b == 0 && $0.a > 0 }.map(\.name).sorted()
    let onlyB = rows.filter { $0.a == 0 && $0.b > 0 }.map(\.name).sorted()
    if !onlyA.isEmpty { out += "\nonly in A: \(onlyA.joined(separator: ", "))\n" }
    if !onlyB.isEmpty { out += "\nonly in B: \(onlyB.joined(separator: ", "))\n" }
    return out
  }
}
