// Seccomp profile generation and --verify, container workload tracing by namespace, diffs, errors, overhead.
import CBPF
import DrydockKit
import Foundation
import Testing

@testable import Tracer

#if canImport(Glibc)
import Glibc
#endif

extension TracerTests {
  @Suite("profiles, workloads, errors")
  struct ProfileAndWorkloadTests {
    @Test(
      "a generated profile runs the workload; without execve --verify fails and says why",
      .enabled(if: TracerFixture.isRoot, "needs root"), arguments: ["runc", "crun"])
    func seccompProfile(_ name: String) throws {
      let runtime = try #require(
        TracerFixture.runtime(name), "scripts/setup installs runc, crun and runsc, and the build makes hull")
      let session = try TraceSession()
      defer { session.close() }
      let bundle = try TraceBundle(source: try TracerFixture.shared.bundlePath())
      defer { bundle.remove() }
      let profiler = SeccompProfiler(tracer: RuntimeTracer(session: session, runtime: runtime))
      let generated = try profiler.generate(bundle: bundle, options: TraceOptions(), recordings: 2)
      #expect(generated.names.contains("execve"))
      #expect(!generated.notes.contains { $0.contains("no seccomp filter") }, "\(generated.notes)")
      if name == "runc" { #expect(generated.runtimeAfterFilter["fstatfs"] != nil) }  // its /proc/self/fd sweep
      let verdict = try profiler.verify(profile: try generated.profileData(), bundle: bundle, options: TraceOptions())
      #expect(verdict.passed, "\(verdict.markdown())")

      var broken = generated
      broken.names.removeAll { $0 == "execve" }
      let failed = try profiler.verify(profile: try broken.profileData(), bundle: bundle, options: TraceOptions())
      #expect(!failed.passed)
      #expect(failed.notAllowed.contains("execve"), "\(failed.markdown())")
      #expect(failed.markdown().contains("FAIL"))
    }

    @Test(
      "a running container's workload, selected by its mount namespace",
      .enabled(if: TracerFixture.isRoot, "needs root"))
    func workloadByNamespace() throws {
      let crun = try #require(
        TracerFixture.runtime("crun"), "scripts/setup installs runc, crun and runsc, and the build makes hull")
      let bundle = try TraceBundle(source: try TracerFixture.shared.bundlePath())
      defer { bundle.remove() }
      let directory = try bundle.makeConfig(id: "w", args: ["/bin/sh", "-c", "sleep 0.4; cat /etc/passwd; ls /"])
      let base = [crun.path, "--root", bundle.stateRoot]
      defer { _ = try? ProcessRunner.run(base + ["delete", "--force", "w"], timeout: 10) }
      let created = try ProcessRunner.run(
        base + ["create", "--bundle", directory, "--pid-file", bundle.path + "/w.pid", "w"],
        stdout: .null, stderr: .null, timeout: 10)
      try #require(created.succeeded)
      let pidText = try String(contentsOfFile: bundle.path + "/w.pid", encoding: .utf8)
      let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
      let session = try TraceSession()
      defer { session.close() }
      _ = try ProcessRunner.run(base + ["start", "w"], timeout: 10)
      let report = try WorkloadTracer(session: session).trace(pid: pid, selector: .mntns, duration: nil, timeout: 10)
      #expect(report.target.hasPrefix("mntns:"))
      #expect((report.buckets["workload"]?.total ?? 0) == report.totalSyscalls)
      #expect((report.syscalls["execve"] ?? 0) >= 1, "\(report.syscalls)")  // cat (ls is exec'd in place or forked)
      #expect((report.syscalls["clone"] ?? 0) + (report.syscalls["vfork"] ?? 0) >= 1)
      #expect((report.syscalls["getdents64"] ?? 0) >= 1)
      #expect(report.notes.contains { $0.contains("exited") })
      #expect(
        #expect(throws: HarnessError.self) { try WorkloadTracer.targetID(pid: getpid(), selector: .mntns) }?.domain
          == .tracer)
    }

    @Test("diff of two reports: deltas, largest first, per bucket")
    func diff() {
      var a = TraceReport()
      var b = TraceReport()
      a.runtime = "runc"
      b.runtime = "crun"
      a.phase = "run"
      b.phase = "run"
      a.syscalls = ["futex": 300, "openat": 100, "execve": 3]
      b.syscalls = ["openat": 90, "execve": 2, "openat2": 50]
      a.totalSyscalls = 403
      b.totalSyscalls = 142
      var bucket = BucketReport()
      bucket.total = 403
      a.buckets["host"] = bucket
      let diff = TraceDiff(a, b)
      #expect(diff.rows.first?.name == "futex")
      #expect(diff.rows.first?.delta == -300)
      #expect(diff.buckets.first { $0.name == "host" }?.delta == -403)
      let text = diff.markdown()
      #expect(text.contains("only in A: futex"))
      #expect(text.contains("only in B: openat2"))
      #expect(diff.warnings.isEmpty)
    }

    @Test("errors are clear: not root, no BTF")
    func preflight() {
      do {
        try Preflight.check(uid: 1000)
        Issue.record("no error for a non-root uid")
      } catch let error as HarnessError where error.domain == .tracer {
        #expect(error.description.contains("root"))
        #expect(error.errno == EPERM)
      } catch { Issue.record("unexpected \(error)") }
      do {
        try Preflight.check(uid: 0, btfPath: "/nonexistent/vmlinux")
        Issue.record("no error without BTF")
      } catch let error as HarnessError where error.domain == .tracer {
        #expect(error.description.contains("BTF"))
        #expect(error.path == "/nonexistent/vmlinux")
      } catch { Issue.record("unexpected \(error)") }
      #expect(
        #expect(throws: HarnessError.self) { try TraceSession(btfPath: "/nonexistent/vmlinux") }?.domain == .tracer)
    }

    @Test("a BPF source no clang can compile gives an error naming the compilers tried")
    func compileError() throws {
      let directory = NSTemporaryDirectory() + "drydock-tracer-compile-\(getpid())"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: directory) }
      try "#error \"not BPF\"\n".write(toFile: directory + "/drydock_trace.bpf.c", atomically: true, encoding: .utf8)
      for header in ["drydock_trace.h", "drydock_trace_helpers.h"] {
        try "\n".write(toFile: directory + "/" + header, atomically: true, encoding: .utf8)
      }
      do {
        _ = try BPFObjectBuilder.objectPath(sourceDirectory: directory, cacheDirectory: directory + "/cache")
        Issue.record("a broken source compiled")
      } catch let error as HarnessError where error.domain == .tracer {
        #expect(error.operation == "compile BPF")
        #expect(error.message.contains("clang"))
        #expect(
          !FileManager.default.fileExists(
            atPath: directory + "/cache/drydock_trace-\(try BPFObjectBuilder.sourceHash(directory)).bpf.o"))
      }
    }

    @Test("a missing BPF object is named", .enabled(if: TracerFixture.isRoot, "needs root"))
    func badObject() {
      #expect(
        #expect(throws: HarnessError.self) { try BPFSession(objectPath: "/nonexistent.bpf.o") }?.domain == .tracer)
    }

    @Test(
      "per-syscall overhead: measurable, counting costs more than being untracked",
      .enabled(if: TracerFixture.isRoot, "needs root"))
    func syscallOverhead() throws {
      let session = try TraceSession()
      defer { session.close() }
      let cost = try OverheadMeter.syscallCost(session: session, iterations: 20_000)
      let detached = try #require(cost["detached"])
      let tracked = try #require(cost["tracked"])
      #expect(detached > 0)
      #expect(tracked > detached)
      #expect(!session.bpf.isAttached)
    }
  }
}
