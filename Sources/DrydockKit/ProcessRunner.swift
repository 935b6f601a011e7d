import Foundation

// ProcessRunner: spawn a command with posix_spawn and wait for it on a pidfd, with a timeout.
#if canImport(Glibc)
import Glibc
#endif

/// The child's stdin.
public enum ProcessInput: Sendable {
  case null
  case bytes([UInt8])
}

/// The child's stdout or stderr.
public enum ProcessOutput: Sendable {
  case pipe
  case file(String)
  case null
}

/// How a process ended. A non-zero exit, a signal or a timeout is reported here, for the caller to judge.
public struct ProcessResult: Sendable {
  public var argv: [String]
  public var pid: Int32
  /// nil when killed by a signal.
  public var exitCode: Int32?
  /// The terminating signal; nil when it exited.
  public var signal: Int32?
  /// The runner killed the process group at the deadline.
  public var timedOut: Bool
  /// Captured bytes (.pipe only; empty otherwise), as is stderr.
  public var stdout: [UInt8]
  public var stderr: [UInt8]
  /// CLOCK_MONOTONIC, from just before posix_spawn to the exit seen on the pidfd.
  public var wallNanoseconds: UInt64
  /// wait4's rusage (user and system): the child plus the descendants it waited for.
  public var userCPUNanoseconds: UInt64
  public var systemCPUNanoseconds: UInt64
  /// wait4's ru_maxrss (the largest of those processes). Caveat: the kernel carries the pre-exec image's peak
  /// across execve, and a posix_spawn child's pre-exec image is the caller's, so this is at least the
  /// test-bed's own RSS; measure small programs through a small static launcher (bench/floor/measure.c).
  public var maxRSSKilobytes: Int

  /// Exit 0, not timed out.
  public var succeeded: Bool { exitCode == 0 && !timedOut }
  public var cpuNanoseconds: UInt64 { userCPUNanoseconds + systemCPUNanoseconds }
  public var wallMilliseconds: Double { Double(wallNanoseconds) / 1e6 }
  public var cpuMilliseconds: Double { Double(cpuNanoseconds) / 1e6 }
  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

  /// stdout parsed as JSON (object, array or fragment), nil when it is not JSON.
  public func jsonObject() -> Any? {
    guard !stdout.isEmpty else { return nil }
    return try? JSONSerialization.jsonObject(with: Data(stdout), options: [.fragmentsAllowed])
  }

  /// One line for logs and test failures: the command, how it ended, and the start of stderr.
  public var summary: String {
    let ending: String
    if timedOut {
      ending = "timed out"
    } else if let signal {
      ending = "killed by signal \(signal)"
    } else {
      ending = "exit \(exitCode ?? -1)"
    }
    let err = stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    return "\(argv.joined(separator: " ")): \(ending)" + (err.isEmpty ? "" : ": \(err.prefix(500))")
  }
}

/// pidfd_open, pipe2 and posix_spawn_file_actions_addchdir_np are in glibc 2.36 but are GNU extensions that
/// Swift's Glibc module does not import (and DrydockKit has no C target); look them up at run time.
func glibcSymbol<F>(_ name: String, as type: F.Type) -> F? {
  guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
  return unsafeBitCast(symbol, to: type)
}
typealias PidfdOpenFunction = @convention(c) (pid_t, UInt32) -> Int32
private typealias Pipe2Function = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
private typealias AddChdirFunction =
  @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
let pidfdOpenFunction = glibcSymbol("pidfd_open", as: PidfdOpenFunction.self)
private let pipe2Function = glibcSymbol("pipe2", as: Pipe2Function.self)
private let addChdirFunction = glibcSymbol("posix_spawn_file_actions_addchdir_np", as: AddChdirFunction.self)

/// A write to a pipe whose reader died must fail with EPIPE, not kill the test-bed.
private let ignoreSIGPIPEOnce: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

/// A running child. Not Sendable: use it from one thread.
public final class SpawnedProcess {
  public let pid: Int32
  public let argv: [String]
  private let pidfd: Int32
  private let startNanoseconds: UInt64
  private var stdoutFD: Int32  // read ends, -1 when not piped
  private var stderrFD: Int32
  private var stdinFD: Int32  // write end, -1 when not piped
  private var pendingInput: [UInt8]
  private var capturedOut: [UInt8] = []
  private var capturedErr: [UInt8] = []
  private var finished = false

  private init(
    pid: Int32, argv: [String], pidfd: Int32, start: UInt64, stdoutFD: Int32, stderrFD: Int32,
    stdinFD: Int32, input: [UInt8]
  ) {
    self.pid = pid
    self.argv = argv
    self.pidfd = pidfd
    self.startNanoseconds = start
    self.stdoutFD = stdoutFD
    self.stderrFD = stderrFD
    self.stdinFD = stdinFD
    self.pendingInput = input
  }

  deinit {
    if !finished { _ = wait(timeout: 0) }
  }

  /// Throws HarnessError only when the process cannot be started (missing binary, pipe/pidfd failure).
  public static func spawn(
    _ argv: [String], environment: [String]? = nil, workingDirectory: String? = nil,
    input: ProcessInput = .null, stdout: ProcessOutput = .pipe,
    stderr: ProcessOutput = .pipe
  ) throws -> SpawnedProcess {
    _ = ignoreSIGPIPEOnce
    guard let program = argv.first else {
      throw HarnessError(.kit, operation: "posix_spawn", message: "empty argv")
    }
    guard let pidfdOpen = pidfdOpenFunction, let pipe2 = pipe2Function, let addChdir = addChdirFunction else {
      throw HarnessError(
        .kit, operation: "dlsym",
        message: "libc lacks pidfd_open, pipe2 or posix_spawn_file_actions_addchdir_np (needs glibc 2.36)")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var parentEnds: [Int32] = []  // closed on failure
    var childEnds: [Int32] = []  // closed in the parent after the spawn
    func cleanup() { for fd in parentEnds + childEnds { close(fd) } }

    func makePipe() throws -> (read: Int32, write: Int32) {
      var fds: [Int32] = [-1, -1]
      guard pipe2(&fds, O_CLOEXEC) == 0 else {
        let code = errno
        cleanup()
        throw HarnessError.posix(.kit, "pipe2", errno: code)
      }
      return (fds[0], fds[1])
    }

    var stdinWrite: Int32 = -1
    var inputBytes: [UInt8] = []
    switch input {
    case .null:
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    case .bytes(let bytes):
      let p = try makePipe()
      stdinWrite = p.write
      inputBytes = bytes
      parentEnds.append(p.write)
      childEnds.append(p.read)
      posix_spawn_file_actions_adddup2(&actions, p.read, 0)
    }
    func output(_ spec: ProcessOutput, fd: Int32) throws -> Int32 {
      switch spec {
      case .null:
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
        return -1
      case .file(let path):
        posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        return -1
      case .pipe:
        let p = try makePipe()
        parentEnds.append(p.read)
        childEnds.append(p.write)
        posix_spawn_file_actions_adddup2(&actions, p.write, fd)
        return p.read
      }
    }
    let outRead = try output(stdout, fd: 1)
    let errRead = try output(stderr, fd: 2)
    if let workingDirectory {
      _ = addChdir(&actions, workingDirectory)
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Own process group, so a timeout can kill the whole tree the runtime started;
    // default signal dispositions and an empty mask, whatever the test-bed has set.
    var defaultSignals = sigset_t()
    sigfillset(&defaultSignals)
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let cArgv = argv.map { strdup($0) } + [nil]
    defer { for p in cArgv { free(p) } }
    let envStrings = environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
    let cEnv = envStrings.map { strdup($0) } + [nil]
    defer { for p in cEnv { free(p) } }

    var pid: pid_t = 0
    let start = ProcessRunner.monotonicNanoseconds()
    let spawnStatus =
      program.contains("/")
      ? posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnv)
      : posix_spawnp(&pid, program, &actions, &attributes, cArgv, cEnv)
    guard spawnStatus == 0 else {
      cleanup()
      throw HarnessError.posix(.kit, "posix_spawn", path: program, errno: spawnStatus)
    }
    for fd in childEnds { close(fd) }
    let pidfd = pidfdOpen(pid, 0)
    if pidfd < 0 {
      let code = errno
      kill(-pid, SIGKILL)
      var status: Int32 = 0
      _ = waitpid(pid, &status, 0)
      for fd in parentEnds { close(fd) }
      throw HarnessError.posix(.kit, "pidfd_open", path: program, errno: code)
    }
    for fd in parentEnds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    return SpawnedProcess(
      pid: pid, argv: argv, pidfd: pidfd, start: start, stdoutFD: outRead,
      stderrFD: errRead, stdinFD: stdinWrite, input: inputBytes)
  }

  /// Send a signal to the child's process group (and so to the runtime's helpers that stayed in it).
  public func signalGroup(_ signal: Int32) {
    guard !finished else { return }
    kill(-pid, signal)
  }

  /// Wait until the child exits or the timeout passes (then SIGKILL its process group), reap it with wait4.
  /// Pipes are drained while waiting; after the exit only what is already buffered is read, because a
  /// detached container may hold the write ends for its whole life.
  /// Call it exactly once (a SpawnedProcess dropped without wait is killed and reaped in deinit).
  public func wait(timeout seconds: Double) -> ProcessResult {
    precondition(!finished, "SpawnedProcess.wait called twice")
    finished = true
    let deadline = startNanoseconds &+ UInt64(max(0, seconds) * 1e9)
    if stdinFD >= 0 && pendingInput.isEmpty {
      close(stdinFD)
      stdinFD = -1
    }
    var exitSeenAt: UInt64 = 0
    var timedOut = false
    while exitSeenAt == 0 {
      var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
      if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
      if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
      if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
      let now = ProcessRunner.monotonicNanoseconds()
      if now >= deadline {
        timedOut = true
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        var last = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        _ = poll(&last, 1, -1)
        exitSeenAt = ProcessRunner.monotonicNanoseconds()
        break
      }
      let remainingMs = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
      let ready = poll(&fds, nfds_t(fds.count), remainingMs)
      if ready < 0 {
        if errno == EINTR { continue }
        exitSeenAt = ProcessRunner.monotonicNanoseconds()  // cannot poll: fall back to a blocking wait4
        break
      }
      for entry in fds where entry.revents != 0 {
        if entry.fd == pidfd {
          exitSeenAt = ProcessRunner.monotonicNanoseconds()
        } else if entry.fd == stdoutFD {
          if !drain(stdoutFD, into: &capturedOut) {
            close(stdoutFD)
            stdoutFD = -1
          }
        } else if entry.fd == stderrFD {
          if !drain(stderrFD, into: &capturedErr) {
            close(stderrFD)
            stderrFD = -1
          }
        } else if entry.fd == stdinFD {
          feedInput()
        }
      }
    }
    if stdoutFD >= 0 {
      _ = drain(stdoutFD, into: &capturedOut)
      close(stdoutFD)
      stdoutFD = -1
    }
    if stderrFD >= 0 {
      _ = drain(stderrFD, into: &capturedErr)
      close(stderrFD)
      stderrFD = -1
    }
    if stdinFD >= 0 {
      close(stdinFD)
      stdinFD = -1
    }

    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    close(pidfd)
    let termSignal = status & 0x7f
    func nanoseconds(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
    return ProcessResult(
      argv: argv, pid: pid,
      exitCode: termSignal == 0 ? (status >> 8) & 0xff : nil,
      signal: termSignal != 0 ? termSignal : nil,
      timedOut: timedOut, stdout: capturedOut, stderr: capturedErr,
      wallNanoseconds: exitSeenAt - startNanoseconds,
      userCPUNanoseconds: nanoseconds(usage.ru_utime), systemCPUNanoseconds: nanoseconds(usage.ru_stime),
      maxRSSKilobytes: Int(usage.ru_maxrss))
  }

  /// Read what is available; false at end of file or on an error other than EAGAIN.
  private func drain(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        buffer.append(contentsOf: chunk[0..<n])
        continue
      }
      if n == 0 { return false }
      if errno == EINTR { continue }
      return errno == EAGAIN
    }
  }

  private func feedInput() {
    let n = pendingInput.withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
    if n > 0 { pendingInput.removeFirst(n) }
    if pendingInput.isEmpty || (n < 0 && errno != EAGAIN && errno != EINTR) {
      close(stdinFD)
      stdinFD = -1
    }
  }
}

public enum ProcessRunner {
  /// Spawn `argv` (a path, or a name looked up in PATH) and wait for it; see SpawnedProcess for details.
  public static func run(
    _ argv: [String], environment: [String]? = nil, workingDirectory: String? = nil,
    input: ProcessInput = .null, stdout: ProcessOutput = .pipe,
    stderr: ProcessOutput = .pipe, timeout: Double = 60
  ) throws -> ProcessResult {
    let process = try SpawnedProcess.spawn(
      argv, environment: environment, workingDirectory: workingDirectory,
      input: input, stdout: stdout, stderr: stderr)
    return process.wait(timeout: timeout)
  }

  public static func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }

  /// Any process, not only a child: pidfd + poll. True when it has exited (or no longer exists), false on
  /// timeout. Does not reap.
  public static func waitForExit(pid: Int32, timeout: Double) -> Bool {
    guard let open = pidfdOpenFunction else { return false }
    let fd = open(pid, 0)
    if fd < 0 { return errno == ESRCH }
    defer { close(fd) }
    let deadline = monotonicNanoseconds() + UInt64(max(0, timeout) * 1e9)
    while true {
      var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let now = monotonicNanoseconds()
      guard now < deadline else { return false }
      let ready = poll(&entry, 1, Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1)))
      if ready > 0 { return true }
      if ready < 0 && errno != EINTR { return false }
    }
  }
}
