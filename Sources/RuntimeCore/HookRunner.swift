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
    let outcome: Spawn.Outcome
    do {
      outcome = try Spawn.run(path: hook.path, args: hook.args, env: hook.env, stdin: Array(state.utf8),
                              timeoutSeconds: hook.timeout)
    } catch {
      throw RuntimeError("run hook \(label)", hook.path, reason: error.reason, errno: error.errno)
    }
    switch outcome {
    case .exited(0): return
    case .exited(let code):
      throw RuntimeError("run hook \(label)", hook.path, reason: "exit status \(code)", errno: ECHILD)
    case .signaled(let sig):
      throw RuntimeError("run hook \(label)", hook.path, reason: "killed by signal \(sig)", errno: ECHILD)
    case .timedOut:
      throw RuntimeError("run hook \(label)", hook.path, reason: "timed out after \(hook.timeout ?? 0) s", errno: ETIMEDOUT)
    }
  }
}
