// MarkdownTable: the report as a Markdown table, ratios taken to the first runtime of the run.
//
// Public API:
//   enum MarkdownTable
//     static func render(_ report: BenchReport) -> String
//        one row per result: scenario, phase, mode, runtime, n (+failures), wall median [p90] ms, its 95% CI,
//        CPU median ms, peak RSS median KB, page faults and context switches (medians), wall and CPU ratio to the first runtime, and wall above the floor
//        (when the floor ran in that scenario and mode); a header line names the environment
//     static func number(_ value: Double, decimals: Int) -> String   fixed-point without locale or ICU
import Foundation

public enum MarkdownTable {
  public static func render(_ report: BenchReport) -> String {
    let env = report.environment
    var lines: [String] = []
    let load = { (l: [Double]) in l.map { number($0, decimals: 2) }.joined(separator: " ") }
    lines.append("Kernel \(env.kernel), cgroup \(env.cgroupMode), \(env.cpus) CPUs, load \(load(env.loadBefore)) → \(load(env.loadAfter)); "
                 + "n=\(env.runs) after \(env.warmup) warm-ups, interleaved; "
                 + env.runtimes.map { "\($0.name): \($0.version)" }.joined(separator: "; "))
    lines.append("")
    let reference = env.runtimes.first?.name ?? ""
    lines.append("| scenario | phase | mode | runtime | n | wall median [p90] ms | wall 95% CI | CPU median ms | RSS median KB | faults | ctx sw | wall × \(reference) | CPU × \(reference) | wall above floor ms |")
    lines.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in report.results {
      let same = report.results.filter { $0.scenario == result.scenario && $0.phase == result.phase && $0.mode == result.mode }
      let referenceResult = same.first { $0.runtime == reference }
      let floorResult = report.results.first {
        $0.runtime == "floor" && $0.scenario == result.scenario && $0.mode == result.mode
      }
      let n = result.failures > 0 ? "\(result.n) (\(result.failures) failed)" : "\(result.n)"
      var cells = [result.scenario, result.phase, result.mode, result.runtime, n]
      if let wall = result.wallMilliseconds, let cpu = result.cpuMilliseconds, let rss = result.rssKilobytes {
        cells.append("\(number(wall.median, decimals: 2)) [\(number(wall.p90, decimals: 2))]")
        cells.append("\(number(wall.ci95[0], decimals: 2))–\(number(wall.ci95[1], decimals: 2))")
        cells.append(number(cpu.median, decimals: 2))
        cells.append(number(rss.median, decimals: 0))
        cells.append(result.pageFaults.map { number($0.median, decimals: 0) } ?? "")
        cells.append(result.contextSwitches.map { number($0.median, decimals: 0) } ?? "")
        cells.append(ratio(wall.median, referenceResult?.wallMilliseconds?.median))
        cells.append(ratio(cpu.median, referenceResult?.cpuMilliseconds?.median))
        if let floorWall = floorResult?.wallMilliseconds?.median, result.phase == "run" || result.phase == "total" {
          cells.append(number(wall.median - floorWall, decimals: 2))
        } else {
          cells.append("")
        }
      } else {
        cells += ["–", "–", "–", "–", "", "", "–", "–", ""]
      }
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    let failed = report.results.filter { $0.firstFailure != nil }
    if !failed.isEmpty {
      lines.append("")
      for result in failed {
        if result.firstFailure?.contains("drop all controllers from cgroupv2") == true {
          lines.append("- \(result.runtime): hybrid cgroup host with controllers on cgroup2; run scripts/setup (binds hugetlb to v1, see shared/design/host.md)")
        }
        lines.append("- \(result.runtime) \(result.scenario)/\(result.phase) \(result.mode): \(result.failures) failed, first: "
                     + (result.firstFailure ?? "").replacingOccurrences(of: "\n", with: " ").prefix(300))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func ratio(_ value: Double, _ reference: Double?) -> String {
    guard let reference, reference > 0 else { return "" }
    return number(value / reference, decimals: 2)
  }

  public static func number(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "nan" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
    if decimals > 0 {
      let digits = String(fraction)
      text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return text
  }
}
