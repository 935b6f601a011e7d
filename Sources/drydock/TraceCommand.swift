// `drydock trace`: eBPF (libbpf, CO-RE) syscall tracing of a runtime invocation or a container's workload,
// seccomp profile generation, start-latency breakdown, diffs of two traces and the tracer's own overhead.
// The BPF program is trace/drydock_trace.bpf.c, compiled on first use into .build/bpf/.
import ArgumentParser
import DrydockKit
import Foundation
import Tracer

#if canImport(Glibc)
import Glibc
#endif

struct TraceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trace",
    abstract: "Count and time the syscalls of a runtime (its whole process tree) or of a container's workload.",
    discussion: """
      Runtime mode: --runtime PATH --bundle DIR [--phase run|create|start|exec|delete|lifecycle]. The runtime \
      is held at a gate, registered, then released; its children are followed. The bundle is used through a \
      private copy of its config.json with a cgroupsPath of drydock's own (removed afterwards).
      Workload mode: --pid PID --by mntns|pidns|cgroup [--duration S]: everything in that container \
      (or --target-id ID --by ... --duration S for a known namespace inode or cgroup id).
      Seccomp: --seccomp-profile OUT.json [--recordings N] [--verify]; --verify-profile FILE checks a profile.
      Diff: --diff A.json B.json. Overhead: --overhead N.
      Needs root and kernel BTF (/sys/kernel/btf/vmlinux). Markdown on stdout, JSON with --json FILE.
      """)

  @Option(help: ArgumentHelp("The runtime binary (path or name in PATH).", valueName: "PATH"))
  var runtime: String?

  @Option(help: ArgumentHelp("An OCI bundle directory (config.json + rootfs).", valueName: "DIR"))
  var bundle: String?

  @Option(help: "run, create, start, exec, delete or lifecycle.")
  var phase: TracePhase = .run

  @Option(parsing: .upToNextOption, help: ArgumentHelp("Replace the container's process.args.", valueName: "ARG"))
  var args: [String] = []

  @Option(help: "Seconds before the traced processes are killed.")
  var timeout = 30.0

  @OptionGroup var jsonReport: JSONReportOption

  @Option(
    help: ArgumentHelp("Trace a running container: the pid of its init (or any process in it).", valueName: "PID"))
  var pid: Int32?

  @Option(help: "With --pid or --target-id: select by mntns, pidns or cgroup (v2 cgroup id).")
  var by: NamespaceSelector = .mntns

  @Option(
    help: ArgumentHelp("Trace a namespace inode or v2 cgroup id directly (with --by and --duration).", valueName: "ID"))
  var targetId: UInt64?

  @Option(
    help: ArgumentHelp("With --pid: stop after this many seconds (default: when the process exits).", valueName: "S"))
  var duration: Double?

  @Option(
    help: ArgumentHelp("Write an OCI linux.seccomp allowlist built from several recordings.", valueName: "OUT.json"))
  var seccompProfile: String?

  @Option(help: "Recordings merged into the seccomp profile.")
  var recordings = 3

  @Flag(help: "With --seccomp-profile: rerun the container under the profile and report pass/fail.")
  var verify = false

  @Option(
    help: ArgumentHelp("Run the container under this linux.seccomp profile and report pass/fail.", valueName: "FILE"))
  var verifyProfile: String?

  @Option(
    parsing: .upToNextOption, help: ArgumentHelp("Compare two JSON reports: --diff A.json B.json.", valueName: "FILE"))
  var diff: [String] = []

  @Option(help: ArgumentHelp("Measure the tracer's overhead over N traced and N untraced runs.", valueName: "N"))
  var overhead: Int?

  @Option(help: ArgumentHelp("Kernel BTF to check for (default /sys/kernel/btf/vmlinux).", valueName: "FILE"))
  var btf: String = Preflight.defaultBTFPath

  func validate() throws {
    if !diff.isEmpty {
      guard diff.count == 2 else { throw ValidationError("--diff takes two JSON reports: --diff A.json B.json") }
      return
    }
    if targetId != nil && duration == nil { throw ValidationError("--target-id needs --duration S") }
    if pid != nil || targetId != nil { return }
    guard runtime != nil, bundle != nil else {
      throw ValidationError("give --runtime PATH --bundle DIR, or --pid PID, or --diff A.json B.json")
    }
    if recordings < 1 { throw ValidationError("--recordings must be at least 1") }
    if verify && seccompProfile == nil { throw ValidationError("--verify goes with --seccomp-profile OUT.json") }
  }

  func run() throws {
    do {
      if !diff.isEmpty {
        let a = try TraceReport.load(path: diff[0])
        let b = try TraceReport.load(path: diff[1])
        print(TraceDiff(a, b).markdown(), terminator: "")
        return
      }
      TraceInterrupt.installHandlers()
      let session = try TraceSession(btfPath: btf)
      defer { session.close() }
      if pid != nil || targetId != nil {
        let tracer = WorkloadTracer(session: session)
        let report = try tracer.trace(pid: pid, id: targetId, selector: by, duration: duration, timeout: timeout)
        try emit(report)
        return
      }
      guard let runtimePath = runtime, let bundlePath = bundle else { return }
      let runtime = try RuntimeProfiles.probeAll([runtimePath])[0]
      try Preflight.requireUsable(runtime)
      let traceBundle = try TraceBundle(source: bundlePath)
      defer { traceBundle.remove() }
      var options = TraceOptions(phase: phase, args: args.isEmpty ? nil : args, timeout: timeout)
      let tracer = RuntimeTracer(session: session, runtime: runtime)
      if let overhead {
        let result = try OverheadMeter(tracer: tracer).measure(bundle: traceBundle, options: options, runs: overhead)
        print(result.markdown(), terminator: "")
        if let json = jsonReport.path { try write(result.jsonData(), to: json) }
        return
      }
      if let file = verifyProfile {
        guard let data = FileManager.default.contents(atPath: file) else {
          throw HarnessError(.tracer, operation: "read profile", path: file, errno: ENOENT, message: "cannot read file")
        }
        let verdict = try SeccompProfiler(tracer: tracer).verify(profile: data, bundle: traceBundle, options: options)
        print(verdict.markdown(), terminator: "")
        if !verdict.passed { throw ExitCode.failure }
        return
      }
      if let output = seccompProfile {
        let profiler = SeccompProfiler(tracer: tracer)
        let result = try profiler.generate(bundle: traceBundle, options: options, recordings: recordings)
        try write(result.profileData(), to: output)
        print(result.markdown(path: output), terminator: "")
        if verify {
          let verdict = try profiler.verify(profile: try result.profileData(), bundle: traceBundle, options: options)
          print(verdict.markdown(), terminator: "")
          if !verdict.passed { throw ExitCode.failure }
        }
        return
      }
      options.seccompJSON = nil
      let report = try tracer.trace(bundle: traceBundle, options: options)
      try emit(report)
      if report.timedOut { throw ExitCode.failure }
    } catch let error as HarnessError where error.domain == .tracer || error.domain == .kit {
      FileHandle.standardError.write(Data("drydock trace: \(error)\n".utf8))
      throw ExitCode.failure
    }
  }

  private func emit(_ report: TraceReport) throws {
    if let json = jsonReport.path { try report.write(to: json) }
    print(MarkdownRenderer.render(report), terminator: "")
  }

  private func write(_ data: Data, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: data) else {
      throw HarnessError(
        .tracer, operation: "write", path: path, errno: errno, message: String(cString: strerror(errno)))
    }
  }
}

extension TracePhase: ExpressibleByArgument {}
extension NamespaceSelector: ExpressibleByArgument {}
