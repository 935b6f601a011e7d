import CLinux
import Glibc
import LinuxKit
import OCISpec

/// Runs OCI hooks: the container's state JSON on stdin, the hook's own args and env,
/// and its `timeout` in seconds (the hook is killed when it expires).
enum HookRunner {
  static func run(_ hooks: [Hook], kind: String, state: String) throws(RuntimeError) {
    for (index, hook) in hooks.enumerated() {
      try run(hook, label: "\(kind)[\(index)]", state: state)
    }
  }

  /// Runs hooks whose failure only warns (poststart, poststop); returns the warnings.
  static func runWarning(_ hooks: [Hook], kind: String, state: String) -> [String] {
    var warnings: [String] = []
    for (index, hook) in hooks.enumerated() {
      do { try run(hook, label: "\(kind)[\(index)]", state: state) } catch { warnings.append(error.description) }
    }
    return warnings
  }

  static func run(_ hook: Hook, label: String, state: String) throws(RuntimeError) {
    var pipeFds: [Int32] = [-1, -1]
    if hk_pipe2_cloexec(&pipeFds) != 0 { throw RuntimeError(SystemError("pipe"), context: "run hook \(label)") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFds[0], 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // The hook starts with an empty signal mask and default dispositions, whatever hull blocked.
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

    let argv = hook.args.isEmpty ? [hook.path] : hook.args
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = hook.env.map { strdup($0) } + [nil]
    defer {
      for p in cArgs { free(p) }
      for p in cEnv { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, hook.path, &actions, &attributes, &cArgs, &cEnv)
    close(pipeFds[0])
    if rc != 0 {
      close(pipeFds[1])
      throw RuntimeError("run hook \(label)", hook.path, reason: SystemError.describe(rc), errno: rc)
    }
    // A hook may not read its stdin: ignore EPIPE.
    let bytes = Array(state.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(pipeFds[1], $0.baseAddress, $0.count) }
    close(pipeFds[1])

    let pidfd = hk_pidfd_open(pid, 0)
    if let timeout = hook.timeout, pidfd >= 0 {
      var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
      var r: Int32
      repeat { r = poll(&p, 1, Int32(clamping: timeout * 1000)) } while r < 0 && errno == EINTR
      if r == 0 {
        _ = hk_pidfd_send_signal(pidfd, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        close(pidfd)
        throw RuntimeError("run hook \(label)", hook.path, reason: "timed out after \(timeout) s", errno: ETIMEDOUT)
      }
    }
    if pidfd >= 0 { close(pidfd) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = (status & 0x7f) == 0
    if !exited {
      throw RuntimeError("run hook \(label)", hook.path, reason: "killed by signal \(status & 0x7f)", errno: ECHILD)
    }
    let code = (status >> 8) & 0xff
    if code != 0 {
      throw RuntimeError("run hook \(label)", hook.path, reason: "exit status \(code)", errno: ECHILD)
    }
  }
}
