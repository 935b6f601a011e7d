// Running commands from the tests: posix_spawn with stdout/stderr sent to files (a
// detached container keeps the write end of a pipe open forever), an optional stdin,
// extra fds placed at chosen numbers (inherited without close-on-exec), and a timeout.
import Foundation
import Glibc

struct CommandResult: CustomStringConvertible {
  var argv: [String]
  /// Exit status, or 128+N when killed by signal N; -1 when it timed out.
  var status: Int32
  var stdout: String
  var stderr: String
  /// Where stdout went: a created container keeps writing here after create returns.
  var stdoutPath: String = ""

  var description: String {
    "`\(argv.joined(separator: " "))` → status \(status)\n--- stdout:\n\(stdout)--- stderr:\n\(stderr)"
  }
}

struct SpawnError: Error, CustomStringConvertible {
  var description: String
}

/// A started command; `wait()` collects it.
final class Spawned: @unchecked Sendable {
  let argv: [String]
  let pid: pid_t
  let outPath: String
  let errPath: String
  let timeout: Double

  init(argv: [String], pid: pid_t, outPath: String, errPath: String, timeout: Double) {
    self.argv = argv
    self.pid = pid
    self.outPath = outPath
    self.errPath = errPath
    self.timeout = timeout
  }

  /// Waits for exit (SIGKILL after the timeout) and reads the outputs.
  func wait() -> CommandResult {
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    var timedOut = false
    while true {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid { break }
      if r < 0 && errno != EINTR { break }
      if Date() > deadline && !timedOut {
        timedOut = true
        kill(pid, SIGKILL)
      }
      usleep(2000)
    }
    let code: Int32 = timedOut ? -1 : ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
    return CommandResult(
      argv: argv, status: code, stdout: readText(outPath), stderr: readText(errPath), stdoutPath: outPath)
  }

  /// True while the process has not exited (a zombie counts as exited; does not reap it).
  var isRunning: Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[close...].hasPrefix(") Z")
  }
}

/// A whole file as text ("" when it cannot be opened). Read to EOF with read(2):
/// String(contentsOfFile:) returns only the first 4 KiB of a /proc file (size 0), so
/// a long /proc/self/mountinfo lost the sandboxes' own mounts and they were never unmounted.
func readText(_ path: String) -> String {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return "" }
  defer { close(fd) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    bytes.append(contentsOf: chunk[0..<n])
  }
  return String(decoding: bytes, as: UTF8.self)
}

private let spawnCounter = Counter()

final class Counter: @unchecked Sendable {
  private var value = 0
  private let lock = NSLock()
  func next() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}

/// Starts `argv` with stdout/stderr into fresh files under `outputDir`.
/// `stdin` nil means /dev/null; `fds` maps an open fd of ours to a number in the child.
func spawn(
  _ argv: [String], outputDir: String, stdin: String? = nil, fds: [(source: Int32, target: Int32)] = [],
  environment: [String]? = nil, timeout: Double = 30
) throws -> Spawned {
  let n = spawnCounter.next()
  let outPath = "\(outputDir)/cmd-\(n).out"
  let errPath = "\(outputDir)/cmd-\(n).err"
  let inPath = "\(outputDir)/cmd-\(n).in"
  if let stdin { try stdin.write(toFile: inPath, atomically: false, encoding: .utf8) }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  // Extra fds first: their sources may sit at 0-2 numbers of ours, never in practice.
  for fd in fds { posix_spawn_file_actions_adddup2(&actions, fd.source, fd.target) }
  posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : inPath, O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var emptyMask = sigset_t()
  sigemptyset(&emptyMask)
  posix_spawnattr_setsigmask(&attributes, &emptyMask)
  var defaults = sigset_t()
  sigemptyset(&defaults)
  for sig in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, sig) }
  posix_spawnattr_setsigdefault(&attributes, &defaults)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  let env = environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
  var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
  var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
  defer {
    for p in cArgs { free(p) }
    for p in cEnv { free(p) }
  }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
  if rc != 0 { throw SpawnError(description: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
  return Spawned(argv: argv, pid: pid, outPath: outPath, errPath: errPath, timeout: timeout)
}

/// Runs `argv` to completion.
func run(
  _ argv: [String], outputDir: String, stdin: String? = nil, fds: [(source: Int32, target: Int32)] = [],
  timeout: Double = 30
) throws -> CommandResult {
  try spawn(argv, outputDir: outputDir, stdin: stdin, fds: fds, timeout: timeout).wait()
}

/// The process exists and is not a zombie.
func processIsLive(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return false }
  return !stat[close...].hasPrefix(") Z") && !stat[close...].hasPrefix(") X")
}

/// Writes an executable script. A file this process wrote could still be open for writing in
/// a child that another test is spawning at that moment (the fd lives until that child execs),
/// and exec of the script would then fail with ETXTBSY: so the final file is made by `cp` in
/// a child process of its own, and this process never holds it open for writing.
func installScript(_ text: String, at path: String, outputDir: String) throws {
  let draft = path + ".draft"
  try text.write(toFile: draft, atomically: false, encoding: .utf8)
  let copy = try run(["/bin/sh", "-c", "cp \"$0\" \"$1\" && chmod 755 \"$1\"", draft, path], outputDir: outputDir)
  guard copy.status == 0 else { throw SpawnError(description: "install \(path): \(copy)") }
  unlink(draft)
}
