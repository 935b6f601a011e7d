// SeccompProfiler: an OCI linux.seccomp allowlist from what ran after the runtime's filter loaded (the runtime's
// own last steps plus the workload), merged over several recordings; and its verification.
import DrydockKit
import Foundation

public struct SeccompGeneration: Sendable {
  /// Sorted.
  public var names: [String]
  public var architectures: [String]
  /// The runtime's own calls between its filter and the workload's execve.
  public var runtimeAfterFilter: [String: Int]
  public var recordings: Int
  public var notes: [String]

  public func profile() -> [String: Any] {
    [
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": architectures,
      "syscalls": [["names": names, "action": "SCMP_ACT_ALLOW"]],
    ]
  }

  public func profileData() throws -> Data {
    try JSONSerialization.data(withJSONObject: profile(), options: [.prettyPrinted, .sortedKeys])
  }

  public func markdown(path: String) -> String {
    var out =
      "# drydock trace: seccomp profile\n\n- written: `\(path)` (\(names.count) syscalls, \(recordings) recordings)\n"
    for note in notes { out += "- note: \(note)\n" }
    out += "- runtime's own calls after its filter loaded: "
    out +=
      runtimeAfterFilter.isEmpty
      ? "none seen\n"
      : runtimeAfterFilter.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "\n"
    out += "\nallowed: " + names.joined(separator: ", ") + "\n"
    return out
  }
}

public struct SeccompVerdict: Sendable {
  public var passed: Bool
  public var exitCode: Int?
  public var timedOut: Bool
  public var stderr: String
  /// Calls that failed after the filter loaded (EPERM from the profile or not).
  public var failedAfterFilter: [String: Int]
  /// Traced after the filter, absent from the profile: what to add.
  public var notAllowed: [String]

  public func markdown() -> String {
    var out = "\n## seccomp --verify: " + (passed ? "PASS" : "FAIL") + "\n\n"
    out += "- runtime exit: \(exitCode.map(String.init) ?? "none")" + (timedOut ? " (timed out)" : "") + "\n"
    if !passed, !stderr.isEmpty {
      out += "- runtime said: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(400))\n"
    }
    if !notAllowed.isEmpty {
      out += "- called after the filter but not in the profile: **\(notAllowed.joined(separator: ", "))**\n"
    }
    if !failedAfterFilter.isEmpty {
      out +=
        "- failed after the filter loaded: "
        + failedAfterFilter.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "\n"
    }
    return out
  }
}

public final class SeccompProfiler {
  public let tracer: RuntimeTracer

  public init(tracer: RuntimeTracer) { self.tracer = tracer }

  public static let asynchronousRuntimeCalls: Set<String> = [
    "futex", "rt_sigreturn", "rt_sigaction", "rt_sigprocmask", "sigaltstack", "sched_yield", "nanosleep", "tgkill",
    "getpid", "gettid", "madvise", "mmap", "munmap", "clock_gettime", "epoll_pwait", "epoll_wait", "epoll_ctl",
    "restart_syscall", "exit",
  ]

  /// Permissive, so that the runtime shows its post-filter code: it allows everything but one syscall nobody
  /// calls (acct). A filter must be loaded for the runtime's post-filter calls to show up, and most bundles
  /// (runc spec's default) have none.
  public static func recordingFilter(architectures: [String]) -> [String: Any] {
    [
      "defaultAction": "SCMP_ACT_ALLOW", "architectures": architectures,
      "syscalls": [["names": ["acct"], "action": "SCMP_ACT_ERRNO"]],
    ]
  }

  public func generate(bundle: TraceBundle, options: TraceOptions, recordings: Int) throws -> SeccompGeneration {
    let architectures = tracer.session.syscalls.architectures
    var recordingOptions = options
    recordingOptions.phase = .run
    var notes: [String] = []
    if bundle.original.value(at: ["linux", "seccomp"]) == nil {
      recordingOptions.seccompJSON = try JSONSerialization.data(
        withJSONObject: Self.recordingFilter(architectures: architectures))
    } else {
      notes.append("recorded under the bundle's own seccomp profile: calls it denies cannot show up")
    }
    var allowed = Set<String>()
    var runtimeAfter: [String: Int] = [:]
    var sawFilter = false
    var lastReports: [TraceReport] = []
    for _ in 0..<recordings {
      let report = try tracer.trace(bundle: bundle, options: recordingOptions)
      lastReports.append(report)
      guard report.runtimeExitCode == 0, !report.timedOut else {
        throw HarnessError(
          .tracer, operation: "record for seccomp", path: tracer.runtime.path, errno: ECHILD,
          message:
            "the container did not run cleanly (exit \(report.runtimeExitCode.map(String.init) ?? "none")): \(report.notes.joined(separator: "; "))"
        )
      }
      sawFilter = sawFilter || report.seccompFilterSeen
      allowed.formUnion(report.afterSeccompFilter.keys)
      for (name, count) in report.buckets["post_seccomp"]?.syscalls ?? [:] {
        runtimeAfter[name] = max(runtimeAfter[name] ?? 0, count)
      }
    }
    // A language runtime (Go's, in runc init) makes these on its own schedule (signals, preemption, GC wake-ups):
    // one recording may miss them after the filter, the next run need them. Allowed when the runtime used them.
    // Only when that runtime visibly runs after the filter (runc: yes; crun: close and execve only).
    let containerSide = Set(lastReports.flatMap { Array(($0.buckets["setup"]?.syscalls ?? [:]).keys) })
    let asynchronous = Self.asynchronousRuntimeCalls.intersection(containerSide).subtracting(allowed)
    let languageRuntimeAfterFilter = !Self.asynchronousRuntimeCalls.isDisjoint(with: runtimeAfter.keys)
    if sawFilter && languageRuntimeAfterFilter && !asynchronous.isEmpty {
      allowed.formUnion(asynchronous)
      notes.append(
        "added calls a language runtime makes asynchronously: \(asynchronous.sorted().joined(separator: ", "))")
    }
    // The kernel's signal-return paths: any process that takes a signal needs them, whether or not a
    // recording happened to see one (docker's default profile allows both too).
    allowed.formUnion(["rt_sigreturn", "restart_syscall"])
    if !sawFilter {
      notes.append("no seccomp filter load was seen: the profile holds the workload's calls and execve only")
      allowed.insert("execve")
    }
    return SeccompGeneration(
      names: allowed.sorted(), architectures: architectures, runtimeAfterFilter: runtimeAfter,
      recordings: recordings, notes: notes)
  }

  public func verify(profile: Data, bundle: TraceBundle, options: TraceOptions) throws -> SeccompVerdict {
    guard let object = try? JSONSerialization.jsonObject(with: profile) as? [String: Any] else {
      throw HarnessError(
        .tracer, operation: "read profile", errno: EINVAL, message: "not a JSON object (want an OCI linux.seccomp)")
    }
    var allowedNames = Set<String>()
    for rule in object["syscalls"] as? [[String: Any]] ?? [] where (rule["action"] as? String) == "SCMP_ACT_ALLOW" {
      allowedNames.formUnion(rule["names"] as? [String] ?? [])
    }
    var verifyOptions = options
    verifyOptions.phase = .run
    verifyOptions.seccompJSON = profile
    let report = try tracer.trace(bundle: bundle, options: verifyOptions)
    var failed: [String: Int] = [:]
    for bucket in ["post_seccomp", "workload"] {
      for (name, count) in report.buckets[bucket]?.failed ?? [:] { failed[name, default: 0] += count }
    }
    let notAllowed = Set(report.afterSeccompFilter.keys).union(report.deniedBySeccomp.keys)
      .filter { !allowedNames.contains($0) }.sorted()
    let passed = report.runtimeExitCode == 0 && !report.timedOut
    return SeccompVerdict(
      passed: passed, exitCode: report.runtimeExitCode, timedOut: report.timedOut,
      stderr: report.notes.joined(separator: "; "), failedAfterFilter: failed, notAllowed: notAllowed)
  }
}
