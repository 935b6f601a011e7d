// MarkdownRenderer: a TraceReport as Markdown for stdout: totals per bucket, the busiest syscalls, what ran after
// the seccomp filter, processes, the start-latency breakdown and the timeline of key events.
import Foundation

public enum MarkdownRenderer {
  static func number(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

  public static func render(_ report: TraceReport, topSyscalls: Int = 25, maxEvents: Int = 120) -> String {
    var out = "# drydock trace: \(report.runtime) \(report.phase)\n\n"
    if !report.runtimePath.isEmpty { out += "- runtime: `\(report.runtimePath)` \(report.runtimeVersion)\n" }
    out += (report.bundle.isEmpty ? "- " : "- bundle: `\(report.bundle)`; ") + "target: \(report.target)\n"
    out +=
      "- total syscalls: **\(report.totalSyscalls)** (\(report.totalErrors) failed); lost events: \(report.lostEvents)"
    if report.droppedTasks > 0 { out += "; untracked tasks (map full): \(report.droppedTasks)" }
    out += "\n"
    if let code = report.runtimeExitCode {
      out += "- runtime exit: \(code)" + (report.timedOut ? " (timed out)" : "") + "\n"
    }
    out += "- wall: \(number(report.wallMs)) ms traced; BPF load \(number(report.loadMs, 1)) ms\n"
    if let latency = report.startLatencyMs {
      out += "- start latency (runtime exec to workload execve): **\(number(latency)) ms**\n"
    }
    for note in report.notes { out += "- note: \(note)\n" }

    out += "\n## Buckets\n\n| bucket | syscalls | errors | time in syscalls ms |\n|---|---:|---:|---:|\n"
    for name in TraceReport.bucketNames {
      let bucket = report.buckets[name] ?? BucketReport()
      out += "| \(name) | \(bucket.total) | \(bucket.errors) | \(number(Double(bucket.nanoseconds) / 1e6)) |\n"
    }
    out +=
      "\nhost: runtime code in the host's namespaces; setup: in the container's namespaces before the user's execve; "
    out += "post_seccomp: after a seccomp filter was installed, before that execve; workload: after it.\n"

    out += "\n## Syscalls (top \(topSyscalls) of \(report.syscalls.count))\n\n"
    out +=
      "| syscall | total | errors | host | setup | post_seccomp | workload | ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
    for (name, count) in report.syscalls.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }).prefix(topSyscalls) {
      let perBucket = TraceReport.bucketNames.map { String(report.buckets[$0]?.syscalls[name] ?? 0) }
      let ms = Double(report.timeInSyscallsNs[name] ?? 0) / 1e6
      out +=
        "| \(name) | \(count) | \(report.errors[name] ?? 0) | " + perBucket.joined(separator: " | ")
        + " | \(number(ms)) |\n"
    }

    if let post = report.buckets["post_seccomp"], post.total > 0 {
      out += "\n## Runtime calls after its seccomp filter loaded (a profile must allow them)\n\n"
      out += post.syscalls.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "\n"
    }

    if !report.deniedBySeccomp.isEmpty {
      out += "\n## Refused by a seccomp filter\n\n"
      out +=
        report.deniedBySeccomp.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        + "\n"
    }

    if !report.breakdown.isEmpty {
      out += "\n## Start-latency breakdown\n\n| from | to | ms | what |\n|---|---|---:|---|\n"
      for segment in report.breakdown {
        out += "| \(segment.from) | \(segment.to) | \(number(segment.ms)) | \(segment.label) |\n"
      }
    }

    let processes = report.processes.prefix(40)
    if !processes.isEmpty {
      out +=
        "\n## Processes\n\n| pid | ppid | exe / comm | threads | syscalls | errors | buckets | start ms | exit ms | status |\n"
      out += "|---:|---:|---|---:|---:|---:|---|---:|---:|---:|\n"
      for p in processes {
        let buckets = p.buckets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let name = p.exe.isEmpty ? p.comm : "\(p.exe) (\(p.comm))"
        out += "| \(p.pid) | \(p.ppid) | \(name) | \(p.threads) | \(p.syscalls) | \(p.errors) | \(buckets) | "
        out +=
          "\(p.startedMs.map { number($0) } ?? "") | \(p.exitedMs.map { number($0) } ?? "") | \(p.exitStatus.map(String.init) ?? "") |\n"
      }
    }

    if !report.events.isEmpty {
      out += "\n## Timeline (\(min(maxEvents, report.events.count)) of \(report.events.count) key events)\n\n"
      out += "| t ms | pid | comm | event | detail | ret | µs |\n|---:|---:|---|---|---|---:|---:|\n"
      for event in report.events.prefix(maxEvents) {
        let detail = event.detail.replacingOccurrences(of: "|", with: "\\|")
        out += "| \(number(event.tMs, 3)) | \(event.pid) | \(event.comm) | \(event.name) | \(detail) | "
        out += "\(event.ret.map(String.init) ?? "") | \(event.durationUs.map { number($0, 1) } ?? "") |\n"
      }
    }
    return out
  }
}
