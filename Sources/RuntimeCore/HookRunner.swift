import Glibc
import LinuxKit
import OCISpec

/// Runs OCI hooks: the container's state JSON on stdin, the hook's own args and env,
/// and its `timeout` in seconds (the hook is killed when it expires).
///
/// A hook without `env` inherits an environment, as with runc and crun: hull's own for the
/// hooks run on the host, the container process's (`inherited`) for those run in the container.
enum HookRunner {
  static func run(_ hooks: [Hook], kind: String, state: String, inherited: [String]? = nil) throws(RuntimeError) {
    for (index, hook) in hooks.enumerated() {
      try run(hook, label: "\(kind)[\(index)]", state: state, inherited: inherited)
    }
  }

  /// Runs hooks whose failure only warns (poststop); returns the warnings.
  static func runWarning(_ hooks: [Hook], kind: String, state: String) -> [String] {
    var warnings: [String] = []
    for (index, hook) in hooks.enumerated() {
      do { try run(hook, label: "\(kind)[\(index)]", state: state) } catch { warnings.append(error.description) }
    }
    return warnings
  }

  static func run(_ hook: Hook, label: String, state: String, inherited: [String]? = nil) throws(RuntimeError) {
    let outcome: Spawn.Outcome
    do {
      let env = hook.env ?? inherited ?? Spawn.currentEnvironment()
      outcome = try Spawn.run(
        path: hook.path, args: hook.args, env: env, stdin: Array(state.utf8),
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
      throw RuntimeError(
        "run hook \(label)", hook.path, reason: "timed out after \(hook.timeout ?? 0) s", errno: ETIMEDOUT)
    }
  }
}
