import CLinux
import Glibc

/// Runs a helper program (a hook, criu): stdin from bytes, an empty signal mask, killed
/// if hull dies (see hk_spawn_tied), an optional timeout enforced through a pidfd.
public enum Spawn {
  public enum Outcome: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    case timedOut
  }

  /// This process's environment (environ(7)), for children that inherit it.
  public static func currentEnvironment() -> [String] {
    var entries: [String] = []
    guard var entry = Optional(environ) else { return entries }
    while let pointer = entry.pointee {
      entries.append(String(cString: pointer))
      entry += 1
    }
    return entries
  }

  /// `stdoutFD`: where the program's stdout goes (-1: hull's own), for when hull's stdout is a
  /// document (features' JSON) or the output is to be read back (ps).
  public static func run(
    path: String, args: [String], env: [String], stdin: [UInt8] = [],
    timeoutSeconds: Int? = nil, stdoutFD: Int32 = -1
  ) throws(SystemError) -> Outcome {
    // A socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise SIGPIPE in hull when
    // the program exits without reading its stdin.
    var pipeFds: [Int32] = [-1, -1]
    if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFds) != 0 {
      throw SystemError("socketpair", path)
    }
    var cArgs: [UnsafeMutablePointer<CChar>?] = (args.isEmpty ? [path] : args).map { strdup($0) } + [nil]
    var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer {
      for p in cArgs { free(p) }
      for p in cEnv { free(p) }
    }
    let pid = hk_spawn_tied(path, &cArgs, &cEnv, pipeFds[0], stdoutFD)
    close(pipeFds[0])
    if pid < 0 {
      let e = errno
      close(pipeFds[1])
      throw SystemError("spawn", path, errno: e)
    }
    if !stdin.isEmpty {
      // A program that exits without reading its stdin makes this fail (EPIPE): its exit
      // status below is what counts.
      _ = stdin.withUnsafeBytes { send(pipeFds[1], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
    close(pipeFds[1])

    let pidfd = hk_pidfd_open(pid, 0)
    defer { if pidfd >= 0 { close(pidfd) } }
    var timedOut = false
    if let timeoutSeconds, pidfd >= 0, !PidFD.waitReadable(pidfd, timeoutMs: Int32(clamping: timeoutSeconds * 1000)) {
      _ = hk_pidfd_send_signal(pidfd, SIGKILL)  // fails only if it exited meanwhile: waitpid collects it
      timedOut = true
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    if timedOut { return .timedOut }
    if status & 0x7f == 0 { return .exited((status >> 8) & 0xff) }
    return .signaled(status & 0x7f)
  }
}
