// TraceReport: what one `drydock trace` recorded, as written to --json and rendered as Markdown.
import DrydockKit
import Foundation

/// One bucket's counts; `failed` is the errors by syscall name.
public struct BucketReport: Codable, Sendable, Equatable {
  public var total: Int = 0
  public var errors: Int = 0
  public var syscalls: [String: Int] = [:]
  public var failed: [String: Int] = [:]
  public var nanoseconds: UInt64 = 0
  public init() {}
}

public struct ProcessSummary: Codable, Sendable {
  public var pid: Int
  public var ppid: Int
  public var invocation: Int
  public var comm: String
  public var exe: String
  public var syscalls: Int
  public var errors: Int
  public var threads: Int
  public var buckets: [String: Int]
  public var startedMs: Double?
  public var exitedMs: Double?
  public var exitStatus: Int?

  enum CodingKeys: String, CodingKey {
    case pid, ppid, invocation, comm, exe, syscalls, errors, threads, buckets
    case startedMs = "started_ms"
    case exitedMs = "exited_ms"
    case exitStatus = "exit_status"
  }
}

public struct TraceEvent: Codable, Sendable {
  public var tMs: Double
  public var pid: Int
  public var tgid: Int
  public var invocation: Int
  public var comm: String
  public var kind: String  // syscall, fork, exec, exit, cgroup
  public var name: String
  public var detail: String
  public var bucket: String
  public var ret: Int64?
  public var durationUs: Double?

  enum CodingKeys: String, CodingKey {
    case tMs = "t_ms"
    case pid, tgid, invocation, comm, kind, name, detail, bucket, ret
    case durationUs = "duration_us"
  }
}

public struct LatencySegment: Codable, Sendable {
  public var from: String
  public var to: String
  public var label: String
  public var ms: Double
}

/// JSON keys are snake_case, spelled out so that syscall names used as keys stay untouched.
public struct TraceReport: Codable, Sendable {
  public static let bucketNames = ["host", "setup", "post_seccomp", "workload"]

  public var runtime = ""
  public var runtimePath = ""
  public var runtimeVersion = ""
  public var phase = ""
  public var bundle = ""
  /// "tree", "mntns:<ino>", ...
  public var target = "tree"
  public var totalSyscalls = 0
  public var totalErrors = 0
  /// Name -> count, every bucket; `errors`: name -> failed calls.
  public var syscalls: [String: Int] = [:]
  public var errors: [String: Int] = [:]
  public var timeInSyscallsNs: [String: UInt64] = [:]
  /// "host", "setup", "post_seccomp" (runtime code after its filter), "workload".
  public var buckets: [String: BucketReport] = [:]
  public var seccompFilterSeen = false
  /// post_seccomp + workload: what a filter must allow.
  public var afterSeccompFilter: [String: Int] = [:]
  /// Calls a filter refused (seen as a sys_exit with no sys_enter: RET_ERRNO).
  public var deniedBySeccomp: [String: Int] = [:]
  public var processes: [ProcessSummary] = []
  public var events: [TraceEvent] = []
  /// Milliseconds from t0.
  public var milestones: [String: Double] = [:]
  public var breakdown: [LatencySegment] = []
  /// From the runtime's exec to the workload's execve.
  public var startLatencyMs: Double?
  public var lostEvents = 0
  public var droppedTasks = 0
  public var runtimeExitCode: Int?
  public var timedOut = false
  public var wallMs = 0.0
  public var loadMs = 0.0
  public var notes: [String] = []

  public init() {}

  enum CodingKeys: String, CodingKey {
    case runtime
    case runtimePath = "runtime_path"
    case runtimeVersion = "runtime_version"
    case phase, bundle, target
    case totalSyscalls = "total_syscalls"
    case totalErrors = "total_errors"
    case syscalls, errors
    case timeInSyscallsNs = "time_in_syscalls_ns"
    case buckets
    case seccompFilterSeen = "seccomp_filter_seen"
    case afterSeccompFilter = "after_seccomp_filter"
    case deniedBySeccomp = "denied_by_seccomp"
    case processes, events, milestones, breakdown
    case startLatencyMs = "start_latency_ms"
    case lostEvents = "lost_events"
    case droppedTasks = "dropped_tasks"
    case runtimeExitCode = "runtime_exit_code"
    case timedOut = "timed_out"
    case wallMs = "wall_ms"
    case loadMs = "load_ms"
    case notes
  }

  public static func load(path: String) throws -> TraceReport {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw HarnessError(.tracer, operation: "read report", path: path, errno: ENOENT, message: "cannot read file")
    }
    do { return try JSONDecoder().decode(TraceReport.self, from: data) } catch {
      throw HarnessError(
        .tracer, operation: "parse report", path: path, errno: EINVAL,
        message: "not a drydock trace JSON report: \(error)")
    }
  }

  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  public func write(to path: String) throws {
    let data = try jsonData()
    guard FileManager.default.createFile(atPath: path, contents: data) else {
      throw HarnessError(
        .tracer, operation: "write JSON", path: path, errno: errno, message: String(cString: strerror(errno)))
    }
  }
}
