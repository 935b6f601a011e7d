// RuntimeTracer: traces one runtime invocation (or a lifecycle of them) on a bundle, following the process tree
// from the runtime's exec to the workload's exit, and builds the TraceReport.
import CBPF
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum TracePhase: String, CaseIterable, Sendable {
  case run, create, start, exec, delete, lifecycle
}

public struct TraceOptions: Sendable {
  public var phase: TracePhase = .run
  /// Replaces process.args.
  public var args: [String]?
  /// Seconds, for the whole recording.
  public var timeout: Double = 30
  /// A linux.seccomp to put in the config.
  public var seccompJSON: Data?
  /// What the container `exec` joins runs.
  public var execContainerArgs = ["sleep", "60"]
  public init(phase: TracePhase = .run, args: [String]? = nil, timeout: Double = 30) {
    self.phase = phase
    self.args = args
    self.timeout = timeout
  }
}

/// Which invocations are traced, per phase (the others run untraced, to set up or clean up):
/// run: run; create: create; start: start + the waiting init; exec: exec; delete: delete + the init's exit;
/// lifecycle: create, start, delete.
///
/// A traced invocation is launched held at a gate, its pid registered (armed: counted from its execve), then
/// released; sched_process_fork adds its children. On the deadline every tracked task is SIGKILLed and the
/// container deleted with --force; the bundle's cgroups are removed by TraceBundle.
public final class RuntimeTracer {
  public let session: TraceSession
  public let runtime: RuntimeUnderTest
  private var counter = 0

  public init(session: TraceSession, runtime: RuntimeUnderTest) {
    self.session = session
    self.runtime = runtime
  }

  private struct Recording {
    var roots: [Int32] = []
    var wallNanoseconds: UInt64 = 0
    var exitCode: Int?
    var timedOut = false
    var failures: [String] = []
  }

  private func base(_ bundle: TraceBundle) -> [String] {
    [runtime.path] + runtime.extraGlobalArgs + ["--root", bundle.stateRoot]
  }

  private func untraced(_ bundle: TraceBundle, _ args: [String], into recording: inout Recording) throws {
    let result = try ProcessRunner.run(base(bundle) + args, timeout: 30)
    if !result.succeeded { recording.failures.append(result.summary) }
  }

  private func traced(
    _ bundle: TraceBundle, _ args: [String], id: String, deadline: UInt64, timeout: Double,
    into recording: inout Recording
  ) throws {
    let gate = try GatedProcess.spawn(base(bundle) + args, logPrefix: "\(bundle.path)/\(id)-\(recording.roots.count)")
    try session.bpf.register(pid: gate.pid, root: UInt32(recording.roots.count), armed: true)
    recording.roots.append(gate.pid)
    try gate.release()
    let result = gate.waitDraining(session: session, deadline: deadline, timeout: timeout)
    recording.wallNanoseconds += result.wallNanoseconds
    recording.exitCode = result.exitCode.map(Int.init) ?? result.signal.map { 128 + Int($0) }
    if result.timedOut { recording.timedOut = true }
    if !result.succeeded && !result.timedOut {
      // The runtime's own words, without the gate's shell wrapping.
      let said = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(600)
      recording.failures.append(
        "\(runtime.name) \(args.first ?? "") exited \(recording.exitCode ?? -1)" + (said.isEmpty ? "" : ": \(said)"))
    }
  }

  private func readPid(_ file: String) -> Int32? {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  public func trace(bundle: TraceBundle, options: TraceOptions) throws -> TraceReport {
    counter += 1
    let id = "dt\(getpid())-\(counter)"
    var seccomp: [String: Any]?
    if let data = options.seccompJSON {
      seccomp = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
    let containerArgs = options.phase == .exec ? options.execContainerArgs : options.args
    let directory = try bundle.makeConfig(id: id, args: containerArgs, seccomp: seccomp)
    let pidFile = "\(bundle.path)/\(id).pid"
    let deadline = ProcessRunner.monotonicNanoseconds() + UInt64(options.timeout * 1e9)
    var recording = Recording()
    let create = ["create", "--bundle", directory, "--pid-file", pidFile, id]
    defer {
      // Whatever happened, the container goes: untraced, forced.
      _ = try? ProcessRunner.run(base(bundle) + ["delete", "--force", id], timeout: 10)
    }
    let raw: RawTrace = try session.record {
      switch options.phase {
      case .run:
        try traced(
          bundle, ["run", "--bundle", directory, id], id: id, deadline: deadline, timeout: options.timeout,
          into: &recording)
        if !recording.timedOut
          && !session.waitForTreeExit(deadline: min(deadline, ProcessRunner.monotonicNanoseconds() + 2_000_000_000))
        {
          recording.failures.append("processes of the tree outlived the runtime by 2 s: killed")
          session.killTracked()
        }
      case .create:
        try traced(bundle, create, id: id, deadline: deadline, timeout: options.timeout, into: &recording)
      case .start, .delete:
        try untraced(bundle, create, into: &recording)
        guard let initPid = readPid(pidFile) else {
          recording.failures.append("no pid file after create")
          break
        }
        if options.phase == .start {
          try session.bpf.register(pid: initPid, root: 0, armed: false)
          recording.roots.append(initPid)
          try traced(bundle, ["start", id], id: id, deadline: deadline, timeout: options.timeout, into: &recording)
          if !session.waitForTreeExit(deadline: deadline) { recording.timedOut = true }
        } else {
          try untraced(bundle, ["start", id], into: &recording)
          if !ProcessRunner.waitForExit(
            pid: initPid, timeout: max(0.1, Double(deadline &- ProcessRunner.monotonicNanoseconds()) / 1e9))
          {
            recording.timedOut = true
            break
          }
          try traced(bundle, ["delete", id], id: id, deadline: deadline, timeout: options.timeout, into: &recording)
        }
      case .exec:
        try untraced(bundle, create, into: &recording)
        try untraced(bundle, ["start", id], into: &recording)
        let args = options.args ?? (bundle.original.args ?? ["/bin/true"])
        try traced(bundle, ["exec", id] + args, id: id, deadline: deadline, timeout: options.timeout, into: &recording)
        _ = try? ProcessRunner.run(base(bundle) + ["kill", id, "KILL"], timeout: 10)
      case .lifecycle:
        try traced(bundle, create, id: id, deadline: deadline, timeout: options.timeout, into: &recording)
        try traced(bundle, ["start", id], id: id, deadline: deadline, timeout: options.timeout, into: &recording)
        if let initPid = readPid(pidFile),
          !ProcessRunner.waitForExit(
            pid: initPid, timeout: max(0.1, Double(deadline &- ProcessRunner.monotonicNanoseconds()) / 1e9))
        {
          recording.timedOut = true  // the workload outlived the deadline: killed below, not deleted traced
          break
        }
        try traced(bundle, ["delete", id], id: id, deadline: deadline, timeout: options.timeout, into: &recording)
      }
      if recording.timedOut || TraceInterrupt.requested { session.killTracked() }
      return session.rawTrace(rootPids: recording.roots)
    }
    if TraceInterrupt.requested {
      throw HarnessError(
        .tracer, operation: "trace", path: runtime.path, errno: EINTR,
        message: "interrupted: traced processes killed, BPF detached")
    }
    var report = TraceReport()
    report.runtime = runtime.name
    report.runtimePath = runtime.path
    report.runtimeVersion = runtime.version
    report.phase = options.phase.rawValue
    report.bundle = bundle.source
    report.runtimeExitCode = recording.exitCode
    report.timedOut = recording.timedOut
    report.wallMs = Double(recording.wallNanoseconds) / 1e6
    report.loadMs = session.loadMs
    ReportBuilder.fill(&report, from: raw, syscalls: session.syscalls)
    report.notes = recording.failures
    if recording.timedOut {
      report.notes.append("timed out after \(options.timeout) s: every traced process was killed")
    }
    if raw.lostEvents > 0 { report.notes.append("\(raw.lostEvents) events lost: the ring buffer was full") }
    if let note = Self.sandboxNote(report, expectedProgram: options.args?.first) { report.notes.append(note) }
    return report
  }

  /// A sandbox runtime (gVisor's runsc) execs its own kernel in the container's namespaces and runs the workload
  /// inside it: the first exec there is not the workload, whose own syscalls never reach the host. Say so, so
  /// that the "workload" bucket and the start latency are read as the sandbox's.
  static func sandboxNote(_ report: TraceReport, expectedProgram: String?) -> String? {
    guard let expectedProgram,
      let first = report.events.first(where: { $0.kind == "exec" && $0.detail.hasSuffix("(workload)") })
    else { return nil }
    let exe = String(first.detail.dropLast(" (workload)".count))
    let expected = expectedProgram.split(separator: "/").last.map(String.init) ?? expectedProgram
    guard exe.split(separator: "/").last.map(String.init) != expected else { return nil }
    return "sandbox runtime: the first exec in the container's namespaces was \(exe) (\(first.comm)), not the workload "
      + "\(expectedProgram): the \"workload\" bucket and the start latency measure the sandbox (its own kernel serving "
      + "the workload); the workload's syscalls are handled inside it and never reach the host"
  }
}
