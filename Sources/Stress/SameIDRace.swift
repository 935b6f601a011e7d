// SameIDRace: many simultaneous state/kill/delete/exec calls on one container id. A runtime must not crash, must
// never print a torn state (every successful `state` is one JSON object for that id), must let exactly one plain
// `delete` of a stopped container win, and must give every loser a clear error (non-zero exit, a message).
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct RaceRound: Codable, Sendable {
  public var name: String
  /// Per operation, as are successes.
  public var calls: [String: Int] = [:]
  public var successes: [String: Int] = [:]
  public var crashes: [String] = []
  public var unclearErrors: [String] = []
  public var tornStates: [String] = []
  public var deleteWinners = 0
  /// nil: informational.
  public var expectedDeleteWinners: Int?
  public var problems: [String] = []

  public var passed: Bool {
    crashes.isEmpty && unclearErrors.isEmpty && tornStates.isEmpty && problems.isEmpty
      && (expectedDeleteWinners.map { $0 == deleteWinners } ?? true)
  }
}

public struct SameIDReport: Codable, Sendable {
  public var runtime: String
  public var rounds: [RaceRound]
  public var leaks: [Leak]
  public var passed: Bool
}

public enum SameIDRace {
  /// width: calls per operation.
  public static func run(runtime: RuntimeUnderTest, width: Int = 8) throws(HarnessError) -> SameIDReport {
    let environment = try StressEnvironment(runtime: runtime, label: "sameid")
    defer { _ = environment.tearDown() }
    let auditor = environment.auditor
    let driver = environment.driver
    var config = try environment.config(args: ["sleep", "100000"], cgroupsPath: environment.cgroupsPath("race"))
    let bundle = try environment.makeBundle(name: "race", config: config)
    let before = auditor.snapshot()  // after our own bundle mount
    var rounds: [RaceRound] = []

    /// (name, container state before the race, the calls per operation, delete winners expected)
    let plans: [(String, String, [(String, [String])], Int?)] = [
      (
        "running: state+exec+kill CONT", "running",
        [("state", ["state"]), ("exec", ["exec", "%ID%", "true"]), ("kill", ["kill", "%ID%", "CONT"])], nil
      ),
      (
        "running: kill KILL+delete+state+exec", "running",
        [
          ("kill", ["kill", "%ID%", "KILL"]), ("delete", ["delete"]), ("state", ["state"]),
          ("exec", ["exec", "%ID%", "true"]),
        ], nil
      ),
      (
        "stopped: delete+state+exec+kill", "stopped",
        [
          ("delete", ["delete"]), ("state", ["state"]), ("exec", ["exec", "%ID%", "true"]),
          ("kill", ["kill", "%ID%", "KILL"]),
        ], 1
      ),
      (
        "running: delete --force+state+exec", "running",
        [("delete --force", ["delete", "--force"]), ("state", ["state"]), ("exec", ["exec", "%ID%", "true"])], nil
      ),
    ]
    for (index, plan) in plans.enumerated() {
      let id = "race\(index)"
      try kit { try config.setCgroupsPath(environment.cgroupsPath(id)) }
      try kit { try config.write(to: bundle.configPath) }
      var round = RaceRound(name: plan.0, expectedDeleteWinners: plan.3)
      let pidFile = environment.workDirectory + "/race.pid"
      let prepared = try kit { () -> Bool in
        guard try driver.create(id: id, bundle: bundle.path, pidFile: pidFile).succeeded,
          try driver.start(id: id).succeeded
        else { return false }
        if plan.1 == "stopped" {
          _ = try driver.kill(id: id, signal: "KILL")
          let pid =
            Int32(
              (try? String(contentsOfFile: pidFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
          return pid > 1 && ProcessRunner.waitForExit(pid: pid, timeout: 10)
        }
        return true
      }
      guard prepared else {
        round.problems.append("could not bring \(id) to \(plan.1)")
        rounds.append(round)
        _ = try? driver.delete(id: id, force: true)
        continue
      }
      var calls: [BarrierCall] = []
      for _ in 0..<width {
        for (operation, args) in plan.2 {
          let argv = args.contains("%ID%") ? args.map { $0 == "%ID%" ? id : $0 } : args + [id]
          calls.append(BarrierCall(operation, driver.command(argv)))
        }
      }
      calls.shuffle()
      for (call, result) in try Barrier.runTogether(calls, directory: environment.workDirectory) {
        judge(call: call, result: result, id: id, into: &round)
      }
      // Afterwards the id is either gone or in one well-formed state; a leftover is removed for the next round.
      if let (state, object) = try? driver.stateObject(id: id), state.succeeded, object == nil {
        round.tornStates.append("state after the race: \(state.stdoutText.prefix(200))")
      }
      checkStateFiles(environment.stateRoot, into: &round)
      if let list = try? driver.list(),
        !(list.succeeded && (list.jsonObject() is [Any] || list.stdoutText.hasPrefix("null")))
      {
        round.problems.append("list after the race is not a JSON array: \(list.summary)")
      }
      if round.expectedDeleteWinners != nil, (try? driver.state(id: id))?.succeeded == true {
        round.problems.append("\(id) still exists after \(round.deleteWinners) successful delete(s)")
      }
      _ = try? driver.delete(id: id, force: true)
      rounds.append(round)
    }
    usleep(200_000)
    let leaks = auditor.audit(since: before)
    return SameIDReport(
      runtime: runtime.name, rounds: rounds, leaks: leaks,
      passed: leaks.isEmpty && rounds.allSatisfy(\.passed))
  }

  static func judge(call: BarrierCall, result: ProcessResult, id: String, into round: inout RaceRound) {
    let operation = call.label
    round.calls[operation, default: 0] += 1
    let stderr = result.stderrText
    if result.timedOut || result.signal != nil || Crash.looksLikeCrash(stderr) {
      round.crashes.append(result.summary)
      return
    }
    if result.succeeded {
      round.successes[operation, default: 0] += 1
      if operation == "delete" || operation == "delete --force" { round.deleteWinners += 1 }
      if operation == "state" {
        let object = result.jsonObject() as? [String: Any]
        if object == nil || object?["id"] as? String != id || object?["status"] as? String == nil {
          round.tornStates.append("state printed: \(result.stdoutText.prefix(200))")
        }
      }
    } else if operation == "exec", let code = result.exitCode, code >= 128 {
      // The exec'd process itself died (a concurrent kill of the container): its status, passed on, not an error.
      round.successes["exec (process killed)", default: 0] += 1
    } else if stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
      round.unclearErrors.append("\(operation): exit \(result.exitCode ?? -1) with no message")
    }
  }

  /// Every JSON file the runtime keeps under its root must parse: a torn write shows up here.
  static func checkStateFiles(_ root: String, into round: inout RaceRound) {
    guard let walker = FileManager.default.enumerator(atPath: root) else { return }
    for case let relative as String in walker where relative.hasSuffix(".json") || relative.hasSuffix("/status") {
      guard let data = FileManager.default.contents(atPath: root + "/" + relative), !data.isEmpty else { continue }
      if (try? JSONSerialization.jsonObject(with: data)) == nil {
        round.tornStates.append("\(relative) is not valid JSON (\(data.count) bytes)")
      }
    }
  }
}

/// How a crash reads on stderr, for runtimes that catch their own fatal signals (Go panics exit 2, Swift traps).
enum Crash {
  static func looksLikeCrash(_ stderr: String) -> Bool {
    [
      "panic:", "fatal error:", "Fatal error:", "SIGSEGV", "Segmentation fault", "stack overflow",
      "Illegal instruction",
      "goroutine ",
    ].contains { stderr.contains($0) }
  }
}
