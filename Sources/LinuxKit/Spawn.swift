import CLinux
import Glibc

/// Runs a helper program (a hook, criu) with posix_spawn: stdin from bytes, an empty
/// signal mask, an optional timeout enforced through a pidfd.
public enum Spawn {
  public enum Outcome: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    case timedOut
  }

  public static func run(path: String, args: [String], env: [String], stdin: [UInt8] = [],
                         timeoutSeconds: Int? = nil) throws(SystemError) -> Outcome {
    // A socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in hull when
    // the program exits without reading its stdin.
    var pipeFds: [Int32] = [-1, -1]
    if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFds) != 0 {
      throw SystemError("socketpair", path)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeFds[0], 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

    var cArgs: [UnsafeMutablePointer<CChar>?] = (args.isEmpty ? [path] : args).map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer {
      for p in cArgs { free(p) }
      for p in cEnv { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, &cArgs, &cEnv)
    close(pipeFds[0])
    if rc != 0 {
      close(pipeFds[1])
      throw SystemError("spawn", path, errno: rc)
    }
    if !stdin.isEmpty {
      _ = stdin.withUnsafeBytes { send(pipeFds[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
    close(pipeFds[1])

    let pidfd = hk_pidfd_open(pid, 0)
    defer { if pidfd >= 0 { close(pidfd) } }
    if let timeoutSeconds, pidfd >= 0, !PidFD.waitReadable(pidfd, timeoutMs: Int32(clamping: timeoutSeconds * 1000)) {
      _ = hk_pidfd_send_signal(pidfd, SIGKILL)
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      return .timedOut
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
    return .signaled(status & 0x7f)
  }
}
