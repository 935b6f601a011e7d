import CSeccomp
import Glibc
import LinuxKit
import OCISpec
import Seccomp
import Testing

// Shared by the tests: profiles from JSON text, and children that load a filter.
// Every test that forks lives under this one serialized suite, so no other test thread
// is allocating while a child is forked (fork from a multi-threaded process).
@Suite(.serialized) enum SeccompSuite {}

/// linux.seccomp parsed from JSON text through the OCISpec mapping, as the runtime gets it.
func profile(_ json: String) throws -> OCISpec.Seccomp {
  let spec = try Spec(json: try JSON.parse("{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":\(json)}}"))
  return try #require(spec.linux?.seccomp)
}

/// The error of compiling `json`, nil when it compiles.
func compileError(_ json: String) throws -> SeccompError? {
  let seccomp = try profile(json)
  do {
    _ = try SeccompProgram.compile(seccomp)
    return nil
  } catch { return error }
}

/// Tests/SeccompTests/Fixtures/<name>, found from this file's path (no bundle resources).
func fixture(_ name: String) throws -> String {
  let dir = String(
    #filePath.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
      .dropLast().map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/"))
  let path = "\(dir)/Fixtures/\(name)"
  guard let file = fopen(path, "rb") else { throw SeccompError(operation: "open", field: path, errno: errno) }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return String(decoding: bytes, as: UTF8.self)
}

/// How a child ended.
struct ChildEnd: Equatable, CustomStringConvertible {
  var exitCode: Int32?
  var signal: Int32?
  static func exited(_ code: Int32) -> ChildEnd { ChildEnd(exitCode: code, signal: nil) }
  static func killed(_ signal: Int32) -> ChildEnd { ChildEnd(exitCode: nil, signal: signal) }
  var description: String { exitCode.map { "exit \($0)" } ?? "signal \(signal ?? 0)" }
}

/// Exit codes a child uses when the step before the tested syscall fails.
enum ChildFailure {
  static let load: Int32 = 200
  static let setup: Int32 = 201
}

/// Forks; the child loads `program` (after no_new_privs, as the runtime does), runs `body`
/// and exits with its result. `body` must do only raw syscalls: the filter may deny the
/// rest. `prepare` runs in the child before the load (e.g. install a signal handler).
func runLoaded(_ program: SeccompProgram, prepare: () -> Void = {}, _ body: (Int32) -> Int32) -> ChildEnd {
  wait(forkLoaded(program, prepare: prepare, body))
}

/// runLoaded without the wait, for tests that talk to the child while it runs.
func forkLoaded(_ program: SeccompProgram, prepare: () -> Void = {}, _ body: (Int32) -> Int32) -> pid_t {
  let pid = fork()
  if pid == 0 {
    // SIGSYS dumps core by default and core_pattern may be "core" (a file in the cwd).
    var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
    if LinuxSyscalls().prctl(PR_SET_NO_NEW_PRIVS, 1) != 0 { _exit(ChildFailure.setup) }
    prepare()
    let listener: Int32
    do { listener = try program.load() } catch { _exit(ChildFailure.load) }
    _exit(body(listener))
  }
  return pid
}

func wait(_ pid: pid_t) -> ChildEnd {
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  // WIFEXITED / WTERMSIG are macros Swift does not import.
  if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
  return .killed(status & 0x7f)
}

/// A raw syscall: the result, or -errno (the filter's view, not glibc's choice of call).
func sys(_ nr: Int32, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0) -> Int {
  let rc = cseccomp_syscall6(Int(nr), a, b, c, 0, 0, 0)
  return rc < 0 ? -Int(errno) : rc
}

/// -errno of a raw syscall as an exit code (0 when it succeeded).
func errnoOf(_ rc: Int) -> Int32 { rc < 0 ? Int32(-rc) : 0 }

func nowNanoseconds() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
