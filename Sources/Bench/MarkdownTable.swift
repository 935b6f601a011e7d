// MarkdownTable: the report as a Markdown table, ratios taken to the first runtime of the run.
import Foundation

public enum MarkdownTable {
  /// One row per result: scenario, phase, mode, runtime, n (+failures), wall median [p90] ms, its 95% CI,
  /// CPU median ms, peak RSS median KB, page faults and context switches (medians), wall and CPU ratio to the
  /// first runtime, and wall above the floor (when the floor ran in that scenario and mode); a header line
  /// names the environment. Then, when the run had them, a table of the memory held between create and start
  /// (Pss, cgroup charge), one of the smallest memory limit that starts a container (one number per runtime,
  /// from the bisection), and one of the CRIU image size of checkpoint scenarios.
  public static func render(_ report: BenchReport) -> String {
    let env = report.environment
    var lines: [String] = []
    let load = { (l: [Double]) in l.map { number($0, decimals: 2) }.joined(separator: " ") }
    if let host = env.host, host.timingClass == "tcg" {
      lines.append("**Timings under qemu TCG emulation (\(host.summary)): compare them only with other TCG runs.**")
      lines.append("")
    }
    lines.append(
      "Kernel \(env.kernel), cgroup \(env.cgroupMode), \(env.cpus) CPUs, load \(load(env.loadBefore)) → \(load(env.loadAfter)); "
        + "n=\(env.runs) after \(env.warmup) warm-ups, interleaved; "
        + env.runtimes.map { "\($0.name): \($0.version)" }.joined(separator: "; "))
    lines.append("")
    let reference = env.runtimes.first?.name ?? ""
    lines.append(
      "| scenario | phase | mode | runtime | n | wall median [p90] ms | wall 95% CI | CPU median ms | RSS median KB | faults | ctx sw | wall × \(reference) | CPU × \(reference) | wall above floor ms |"
    )
    lines.append("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in report.results {
      let same = report.results.filter {
        $0.scenario == result.scenario && $0.phase == result.phase && $0.mode == result.mode
      }
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
    lines += memorySections(report, reference: reference)
    let failed = report.results.filter { $0.firstFailure != nil }
    if !failed.isEmpty {
      lines.append("")
      for result in failed {
        if result.firstFailure?.contains("drop all controllers from cgroupv2") == true {
          lines.append(
            "- \(result.runtime): hybrid cgroup host with controllers on cgroup2; run scripts/setup (binds hugetlb to v1, see docs/host.md)"
          )
        }
        lines.append(
          "- \(result.runtime) \(result.scenario)/\(result.phase) \(result.mode): \(result.failures) failed, first: "
            + (result.firstFailure ?? "").replacingOccurrences(of: "\n", with: " ").prefix(300))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The held and limit scenarios' own numbers, which the latency columns above cannot show.
  static func memorySections(_ report: BenchReport, reference: String) -> [String] {
    var lines: [String] = []
    let held = report.results.filter { $0.pssKilobytes != nil || ($0.phase == "held" && $0.n == 0) }
    if !held.isEmpty {
      lines += [
        "",
        "Memory held between create and start (Pss of every process in the container's cgroup; memory charged to the cgroup):",
        "",
        "| scenario | mode | runtime | n | processes | Pss median [p90] KB | Pss 95% CI | cgroup median [p90] KB | Pss × \(reference) |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
      ]
      for r in held {
        let base = held.first { $0.runtime == reference && $0.scenario == r.scenario && $0.mode == r.mode }?
          .pssKilobytes?.median
        let n = r.failures > 0 ? "\(r.n) (\(r.failures) failed)" : "\(r.n)"
        guard let pss = r.pssKilobytes else {
          lines.append("| \(r.scenario) | \(r.mode) | \(r.runtime) | \(n) | – | – | – | – | |")
          continue
        }
        let cgroup =
          r.cgroupKilobytes.map { "\(number($0.median, decimals: 0)) [\(number($0.p90, decimals: 0))]" } ?? "–"
        lines.append(
          "| \(r.scenario) | \(r.mode) | \(r.runtime) | \(n) | \(r.heldProcesses.map { number($0.median, decimals: 0) } ?? "–") | "
            + "\(number(pss.median, decimals: 0)) [\(number(pss.p90, decimals: 0))] | "
            + "\(number(pss.ci95[0], decimals: 0))–\(number(pss.ci95[1], decimals: 0)) | \(cgroup) | \(ratio(pss.median, base)) |"
        )
      }
      lines.append("")
      lines.append("floor: n/a (it has no create/start split: nothing waits between the two).")
    }
    let images = report.results.filter { $0.imageKilobytes != nil }
    if !images.isEmpty {
      lines += [
        "", "CRIU images written by one checkpoint (the *.img files):", "",
        "| scenario | mode | runtime | n | image median [p90] KB | × \(reference) |", "|---|---|---|---:|---:|---:|",
      ]
      for r in images {
        let size = r.imageKilobytes!
        let base = images.first { $0.runtime == reference && $0.scenario == r.scenario && $0.mode == r.mode }?
          .imageKilobytes?.median
        lines.append(
          "| \(r.scenario) | \(r.mode) | \(r.runtime) | \(r.n) | \(number(size.median, decimals: 0)) [\(number(size.p90, decimals: 0))] | "
            + "\(ratio(size.median, base)) |")
      }
    }
    let limits = report.results.filter { $0.memoryLimit != nil }
    if !limits.isEmpty {
      lines += [
        "",
        "Smallest memory limit that still starts /bin/true (memory+swap equal to it; works = runtime and container exit 0 every time in a row):",
        "",
        "| scenario | mode | runtime | smallest working KiB | largest failing KiB | steps | runs | × \(reference) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
      ]
      for r in limits {
        let search = r.memoryLimit!
        let base = limits.first { $0.runtime == reference && $0.scenario == r.scenario && $0.mode == r.mode }?
          .memoryLimit?.smallestWorkingKB
        let smallest =
          search.smallestWorkingKB.map { search.largestFailingKB == nil ? "≤ \($0)" : "\($0)" }
          ?? "> \(search.upperBoundKB)"
        lines.append(
          "| \(r.scenario) | \(r.mode) | \(r.runtime) | \(smallest) | \(search.largestFailingKB.map(String.init) ?? "–") | "
            + "\(search.steps.count) | \(search.steps.map(\.runs).reduce(0, +)) | "
            + "\(ratio(Double(search.smallestWorkingKB ?? 0), base.map(Double.init))) |")
      }
    }
    return lines
  }

  static func ratio(_ value: Double, _ reference: Double?) -> String {
    guard let reference, reference > 0 else { return "" }
    return number(value / reference, decimals: 2)
  }

  /// Fixed-point, without locale or ICU.
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
