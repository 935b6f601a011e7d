// Child processes for the real-cgroup and hull tests: posix_spawn with stdio on files
// and waitpid polling with a deadline, so no test can hang on a child (Foundation's
// Process left `hull create`'s exited parent unreaped here, and its reaper thread is
// not needed for this).
import Glibc
import LinuxKit

final class Child: @unchecked Sendable {
  let pid: pid_t
  let outPath: String
  let errPath: String
  private(set) var status: Int32?

  nonisolated(unsafe) static var counter = 0
  static let scratch: String = {
    let dir = "/tmp/cgroupstests-spawn-\(getpid())"
    mkdir(dir, 0o755)
    return dir
  }()

  /// Starts `argv` (absolute path first) with `stdin` text (or /dev/null) and stdout /
  /// stderr in files of our scratch directory.
  init(_ argv: [String], stdin: String? = nil) throws {
    Child.counter += 1
    let n = Child.counter
    outPath = "\(Child.scratch)/out-\(n)"
    errPath = "\(Child.scratch)/err-\(n)"
    var inPath = "/dev/null"
    if let stdin {
      inPath = "\(Child.scratch)/in-\(n)"
      try Files.write(inPath, Array(stdin.utf8))
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, argv[0], &actions, nil, cArgs, environ)
    guard rc == 0 else { throw SystemError("posix_spawn", argv[0], errno: rc) }
    pid = child
  }

  /// Exit status (128+N for signal N), or nil if it was still running at the deadline
  /// (then it is killed and reaped).
  @discardableResult
  func wait(timeout: Double) -> Int32? {
    if let status { return status }
    let deadline = Clock.monotonicNanos() + UInt64(timeout * 1e9)
    while true {
      var raw: Int32 = 0
      let r = waitpid(pid, &raw, WNOHANG)
      if r == pid {
        let sig = raw & 0x7f
        status = sig == 0 ? (raw >> 8) & 0xff : 128 + sig
        return status
      }
      if r < 0 && errno != EINTR { return nil }
      if Clock.monotonicNanos() >= deadline {
        kill(pid, SIGKILL)
        waitpid(pid, &raw, 0)
        return nil
      }
      usleep(5000)
    }
  }

  var out: String { Files.readIfPresent(outPath) ?? "" }
  var err: String { Files.readIfPresent(errPath) ?? "" }
}
