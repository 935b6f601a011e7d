// WorkloadTracer: traces whatever runs inside one container, selected by the mount or pid namespace of a
// process in it, or by its cgroup v2 id, for a duration or until that process exits.
import CBPF
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum NamespaceSelector: String, CaseIterable, Sendable {
  case mntns, pidns, cgroup
}

/// A process sharing drydock's own namespace (or the root cgroup) is refused: it would trace the whole host.
/// On this hybrid host runc and crun also place containers in the unified hierarchy, so the v2 id works.
public final class WorkloadTracer {
  public let session: TraceSession

  public init(session: TraceSession) { self.session = session }

  /// The namespace inode or cgroup id of that process.
  public static func targetID(pid: Int32, selector: NamespaceSelector) throws -> UInt64 {
    switch selector {
    case .mntns, .pidns:
      let kind = selector == .mntns ? "mnt" : "pid"
      let path = "/proc/\(pid)/ns/\(kind)"
      let inode = TraceSession.namespaceInode(path)
      guard inode != 0 else {
        throw HarnessError(
          .tracer, operation: "read namespace", path: path, errno: ESRCH, message: "no such process (or not permitted)")
      }
      guard inode != TraceSession.namespaceInode("/proc/self/ns/\(kind)") else {
        throw HarnessError(
          .tracer, operation: "select target", path: path, errno: EINVAL,
          message: "pid \(pid) shares drydock's \(selector.rawValue): that would trace the whole host")
      }
      return inode
    case .cgroup:
      let file = "/proc/\(pid)/cgroup"
      guard let text = try? String(contentsOfFile: file, encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
      else {
        throw HarnessError(
          .tracer, operation: "read cgroup", path: file, errno: ESRCH, message: "no process, or no cgroup v2 membership"
        )
      }
      let relative = String(line.dropFirst(3))
      guard relative != "/", let unified = HostInfo.cgroupMounts().first(where: { $0.version == 2 }) else {
        throw HarnessError(
          .tracer, operation: "select target", path: file, errno: EINVAL,
          message: "pid \(pid) is in the root v2 cgroup (or no cgroup2 mount): that would trace the whole host")
      }
      // cgroup2 ids are the kernfs inode numbers of the cgroup directories.
      let inode = TraceSession.namespaceInode(unified.path + relative)
      guard inode != 0 else {
        throw HarnessError(
          .tracer, operation: "stat cgroup", path: unified.path + relative, errno: ENOENT,
          message: "cgroup directory missing")
      }
      return inode
    }
  }

  /// By a process in the container (until it exits), or by a known namespace inode / cgroup id (pid nil:
  /// for the duration only).
  /// Every syscall lands in the "workload" bucket.
  public func trace(
    pid: Int32?, id knownID: UInt64? = nil, selector: NamespaceSelector, duration: Double?,
    timeout: Double
  ) throws -> TraceReport {
    guard let id = try knownID ?? pid.map({ try Self.targetID(pid: $0, selector: selector) }) else {
      throw HarnessError(
        .tracer, operation: "select target", errno: EINVAL, message: "give a pid or a namespace/cgroup id")
    }
    guard
      knownID == nil
        || (knownID != TraceSession.namespaceInode("/proc/self/ns/mnt")
          && knownID != TraceSession.namespaceInode("/proc/self/ns/pid") && knownID! > 1)
    else {
      throw HarnessError(
        .tracer, operation: "select target", errno: EINVAL,
        message: "that id is drydock's own: it would trace the whole host")
    }
    let mode: dd_mode = selector == .mntns ? DD_MODE_MNTNS : selector == .pidns ? DD_MODE_PIDNS : DD_MODE_CGROUP
    try session.configureNamespace(mode: mode, id: id)
    defer { try? session.configureTree() }
    let start = ProcessRunner.monotonicNanoseconds()
    let limit = duration ?? timeout
    let deadline = start + UInt64(limit * 1e9)
    var exited = false
    let raw = try session.record {
      while ProcessRunner.monotonicNanoseconds() < deadline && !TraceInterrupt.requested {
        if let pid, ProcessRunner.waitForExit(pid: pid, timeout: 0.05) {
          exited = true
          break
        }
        if pid == nil { usleep(50_000) }
        session.bpf.drain()
      }
      return session.rawTrace(rootPids: [])
    }
    var report = TraceReport()
    report.runtime = pid.map { "pid \($0)" } ?? "\(selector.rawValue) \(id)"
    report.phase = "workload"
    report.target = "\(selector.rawValue):\(id)"
    report.wallMs = Double(ProcessRunner.monotonicNanoseconds() - start) / 1e6
    report.loadMs = session.loadMs
    ReportBuilder.fill(&report, from: raw, syscalls: session.syscalls)
    report.notes.append(exited ? "pid \(pid ?? 0) exited" : "stopped after \(limit) s")
    return report
  }
}
