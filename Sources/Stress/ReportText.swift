// ReportText: the human-readable summaries `drydock stress` prints (the JSON report holds everything).
import Foundation

extension ChurnReport {
  public var text: String {
    var lines = [
      "# drydock stress: \(runtime) \(version)",
      String(
        format: "%d containers, concurrency %d, %.1f s, %.1f containers/s", containers, concurrency,
        seconds, containersPerSecond),
      "lifecycles: " + lifecycles.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
      "", "| operation | n | failures | p50 ms | p90 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|",
    ]
    for (name, stats) in operations.sorted(by: { $0.key < $1.key }) {
      lines.append(
        String(
          format: "| %@ | %d | %d | %.1f | %.1f | %.1f | %.1f |", name, stats.count, stats.failures,
          stats.p50, stats.p90, stats.p99, stats.max))
    }
    lines.append("")
    lines.append(
      "runtime RSS (sampled \(rss.samples)x): peak \(rss.peakKilobytes) kB per process, "
        + "\(rss.peakTotalKilobytes) kB all processes at once; per tenth of the run: "
        + rss.timeline.map { "\($0.maxKilobytes)" }.joined(separator: " ")
        + "; test-bed RSS grew \(rss.selfGrowthKilobytes) kB")
    lines.append("failures: \(failureCount)")
    lines += failures.prefix(10).map { "  - \($0)" }
    lines.append("leaks: \(leaks.count)")
    lines += leaks.prefix(50).map { "  - \($0)" }
    if leaks.count > 50 { lines.append("  ... \(leaks.count - 50) more (see --json)") }
    lines += teardownProblems.map { "teardown: \($0)" }
    lines.append(passed ? "PASS" : "FAIL")
    return lines.joined(separator: "\n") + "\n"
  }
}

extension SameIDReport {
  public var text: String {
    var lines = ["# drydock stress --same-id: \(runtime)"]
    for round in rounds {
      let calls = round.calls.sorted { $0.key < $1.key }
        .map { "\($0.key) \(round.successes[$0.key] ?? 0)/\($0.value) ok" }.joined(separator: ", ")
      lines.append(
        "- \(round.name): \(calls); delete winners \(round.deleteWinners)"
          + (round.expectedDeleteWinners.map { " (expected \($0))" } ?? "") + (round.passed ? "" : "  FAIL"))
      lines += round.crashes.prefix(5).map { "    crash: \($0)" }
      lines += round.unclearErrors.prefix(5).map { "    unclear error: \($0)" }
      lines += round.tornStates.prefix(5).map { "    torn state: \($0)" }
      lines += round.problems.map { "    problem: \($0)" }
    }
    lines.append("leaks: \(leaks.count)")
    lines += leaks.map { "  - \($0)" }
    lines.append(passed ? "PASS" : "FAIL")
    return lines.joined(separator: "\n") + "\n"
  }
}

extension FaultReport {
  public var text: String {
    var lines = ["# drydock stress --faults: \(runtime)"]
    for fault in cases {
      let delay = fault.delayMilliseconds.map { String(format: " at %.1f ms", $0) } ?? ""
      lines.append(
        "- \(fault.name)\(delay): runtime \(fault.runtimeOutcome.prefix(120)); state: \(fault.stateAfter.prefix(100)); "
          + "delete --force: \(fault.forceDelete.prefix(100))" + (fault.passed ? "" : "  FAIL"))
      lines += fault.listProblems.map { "    list: \($0)" }
      lines += fault.leftovers.map { "    left: \($0)" }
    }
    lines.append(passed ? "PASS" : "FAIL")
    return lines.joined(separator: "\n") + "\n"
  }
}

extension BadInputReport {
  public var text: String {
    var lines = [
      "# drydock stress --bad-input: \(runtime), \(cases.count) cases",
      "verdicts: " + byVerdict.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
    ]
    for (category, counts) in byCategory.sorted(by: { $0.key < $1.key }) {
      lines.append(
        "  \(category): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    for result in cases where !result.passed {
      lines.append("- \(result.file): \(result.verdict.rawValue): \(result.message.prefix(160))")
      lines += result.findings.map { "    \($0)" }
    }
    let contained = cases.filter { $0.expectation == "contain" && $0.verdict == .accepted }.count
    lines.append(
      passed
        ? "PASS (every case refused with a message, nothing created"
          + (contained > 0 ? "; \(contained) rootfs-content cases run and contained" : "") + ")" : "FAIL")
    return lines.joined(separator: "\n") + "\n"
  }
}
