// TraceSession: a BPFSession made ready for drydock (preflight, object compiled, config and key syscalls
// written) plus what every recording needs: the gate, the wait loop that drains events, Ctrl-C handling.
import CBPF
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM only set a flag: the wait loops notice it, kill what they traced and clean up, so
/// nothing stays attached or running after Ctrl-C.
public enum TraceInterrupt {
  nonisolated(unsafe) static var flag: sig_atomic_t = 0
  public static var requested: Bool { flag != 0 }
  public static func installHandlers() {
    signal(SIGINT) { _ in TraceInterrupt.flag = 1 }
    signal(SIGTERM) { _ in TraceInterrupt.flag = 1 }
  }
}

public final class TraceSession {
  public let bpf: BPFSession
  public let syscalls: SyscallTable
  public var loadMs: Double { Double(bpf.loadNanoseconds) / 1e6 }

  /// Preflight, the object compiled if needed, then loaded.
  public init(btfPath: String = Preflight.defaultBTFPath, objectPath: String? = nil) throws {
    try Preflight.check(btfPath: btfPath)
    let object = try objectPath ?? BPFObjectBuilder.objectPath()
    bpf = try BPFSession(objectPath: object)
    syscalls = SyscallTable.host()
    try bpf.setKeys(KeySyscalls.table(syscalls))
    try configureTree()
  }

  deinit { close() }

  public func close() { bpf.close() }

  private func baseConfig() -> dd_config {
    var config = dd_config()
    config.host_mntns = UInt32(truncatingIfNeeded: Self.namespaceInode("/proc/self/ns/mnt"))
    config.host_pidns = UInt32(truncatingIfNeeded: Self.namespaceInode("/proc/self/ns/pid"))
    config.base_filters = Self.seccompFilterCount()
    config.execve_nr = UInt32(syscalls.number("execve") ?? 59)
    config.execveat_nr = UInt32(syscalls.number("execveat") ?? 322)
    return config
  }

  public func configureTree() throws { try bpf.configure(baseConfig()) }

  public func configureNamespace(mode: dd_mode, id: UInt64) throws {
    var config = baseConfig()
    config.mode = mode.rawValue
    config.target_id = id
    try bpf.configure(config)
  }

  static func namespaceInode(_ path: String) -> UInt64 {
    var info = stat()
    return stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
  }

  /// Filters already on the tracer (inherited by the runtime) must not count as the runtime's own.
  static func seccompFilterCount() -> UInt32 {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Seccomp_filters:") })
    else { return 0 }
    return UInt32(line.split(separator: "\t").last.flatMap { UInt32($0.trimmingCharacters(in: .whitespaces)) } ?? 0)
  }

  /// Attaches, runs body, drains, detaches (also when body throws).
  public func record<T>(_ body: () throws -> T) throws -> T {
    try bpf.reset()
    try bpf.attach()
    defer {
      bpf.drain()
      bpf.detach()
    }
    return try body()
  }

  /// A final drain, then the maps.
  public func rawTrace(rootPids: [Int32]) -> RawTrace {
    bpf.drain()
    return RawTrace(
      stats: bpf.readStats(), processes: bpf.readProcesses(), events: bpf.takeEvents(),
      lostEvents: Int(bpf.counter(DD_C_LOST)), droppedTasks: Int(bpf.counter(DD_C_DROPPED_TASKS)),
      rootPids: rootPids)
  }

  /// SIGKILLs every task still tracked (a hung target).
  public func killTracked() {
    // Twice: a task may fork between the listing and the kill; its child is tracked by then.
    for _ in 0..<2 {
      for tid in bpf.liveTasks() where tid > 1 { kill(pid_t(bitPattern: tid), SIGKILL) }
      usleep(2000)
    }
  }

  /// Until every tracked task is gone (a `run` tree after the runtime returned), draining meanwhile.
  public func waitForTreeExit(deadline: UInt64) -> Bool {
    while ProcessRunner.monotonicNanoseconds() < deadline && !TraceInterrupt.requested {
      if bpf.liveTasks().isEmpty { return true }
      bpf.drain()
      usleep(5000)
    }
    return bpf.liveTasks().isEmpty
  }
}

public final class GatedProcess {
  public let process: SpawnedProcess
  public let fifo: String
  public let logPrefix: String
  public var pid: Int32 { process.pid }

  private init(process: SpawnedProcess, fifo: String, logPrefix: String) {
    self.process = process
    self.fifo = fifo
    self.logPrefix = logPrefix
  }

  deinit { unlink(fifo) }

  /// The runtime is launched held: /bin/sh opens a FIFO (blocking until drydock opens the other end), then
  /// execs the runtime in place, so the pid registered before the release is the runtime's own.
  public static func spawn(_ argv: [String], logPrefix: String) throws -> GatedProcess {
    let fifo = logPrefix + ".gate"
    unlink(fifo)
    guard mkfifo(fifo, 0o600) == 0 else {
      throw HarnessError(
        .tracer, operation: "mkfifo", path: fifo, errno: errno, message: String(cString: strerror(errno)))
    }
    do {
      let process = try SpawnedProcess.spawn(
        ["/bin/sh", "-c", ": < \"$0\"; exec \"$@\"", fifo] + argv,
        stdout: .file(logPrefix + ".out"), stderr: .file(logPrefix + ".err"))
      return GatedProcess(process: process, fifo: fifo, logPrefix: logPrefix)
    } catch {
      unlink(fifo)
      throw HarnessError(
        .tracer, operation: "spawn", path: argv.first, errno: (error as? HarnessError)?.errno, message: "\(error)")
    }
  }

  public func release(timeout: Double = 5) throws {
    let deadline = ProcessRunner.monotonicNanoseconds() + UInt64(timeout * 1e9)
    while true {
      let fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      if fd >= 0 {
        Glibc.close(fd)
        return
      }
      guard errno == ENXIO || errno == EINTR, ProcessRunner.monotonicNanoseconds() < deadline else {
        throw HarnessError(
          .tracer, operation: "release gate", path: fifo, errno: errno,
          message: "the gated shell never opened its FIFO (is /bin/sh there?)")
      }
      usleep(500)
    }
  }

  /// Waits for the runtime while draining events; past the deadline every traced task is killed.
  public func waitDraining(session: TraceSession, deadline: UInt64, timeout: Double) -> ProcessResult {
    var expired = false
    while !ProcessRunner.waitForExit(pid: pid, timeout: 0.02) {
      session.bpf.drain()
      if ProcessRunner.monotonicNanoseconds() >= deadline || TraceInterrupt.requested {
        expired = true
        session.killTracked()
        break
      }
    }
    var result = process.wait(timeout: expired ? 0 : timeout)
    if expired { result.timedOut = true }
    result.stdout = Array((FileManager.default.contents(atPath: logPrefix + ".out") ?? Data()).prefix(65536))
    result.stderr = Array((FileManager.default.contents(atPath: logPrefix + ".err") ?? Data()).prefix(65536))
    return result
  }
}
