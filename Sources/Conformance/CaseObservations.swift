// Observations drydock makes itself, outside the container: a container's exit, the probe's report,
// the hook log, the pid file, a host file (cgroup files seen from the host), a systemd unit's properties.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension CaseExecution {
  func observe(_ step: Step, timeout: Double) throws -> JSONValue {
    switch step.action {
    case .waitExit:
      guard let pid = pids[step.container] else {
        throw StepFailure("no container pid known (no pid file after create)")
      }
      let exit = ContainerWait.waitForExit(pid: pid, timeout: timeout)
      log.append("wait-exit \(pid): exited=\(exit.exited) code=\(exit.exitCode.map(String.init) ?? "-")")
      guard exit.exited else { throw StepFailure("the container process \(pid) did not exit within \(Int(timeout)) s") }
      return .object([
        "exited": .bool(true), "exitCode": exit.exitCode.map { .number(Double($0)) } ?? .null,
        "signal": exit.signal.map { .number(Double($0)) } ?? .null,
      ])
    case .probe:
      let path = shared + "/" + (step.file ?? "probe.json")
      let outcome = ContainerWait.waitForFile(path, whileAlive: pids[step.container], timeout: timeout)
      guard outcome == .appeared, let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        let why =
          outcome == .processExited ? "the container exited without writing it" : "none within \(Int(timeout)) s"
        throw StepFailure("no probe report \(step.file ?? "probe.json"): \(why)\(containerErrors())")
      }
      guard let report = JSONValue.parse(text) else {
        throw StepFailure("probe report is not JSON: \(text.prefix(200))")
      }
      return report
    case .hooks:
      recordHooks(during: "after")
      return BundlePlan.hookObservation(lines: hookLines, hostMountNamespace: env.hostMountNamespace)
    case .pidfile:
      // `file: exec-0.pid` names the pid file of the first detached exec; default: the container's.
      let path = step.file.map { bundle!.path + "/" + $0 } ?? pidFile(step.container)
      guard let data = FileManager.default.contents(atPath: path) else { return .object(["exists": .bool(false)]) }
      let raw = String(decoding: data, as: UTF8.self)
      return .object([
        "exists": .bool(true), "content": .string(raw),
        "pid": Int(raw).map { .number(Double($0)) } ?? .null,
        "statePid": pids[step.container].map { .number(Double($0)) } ?? .null,
      ])
    case .hostFile:
      let path = JSONValue.string(step.file ?? "").substituting(placeholders).text
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        return .object(["exists": .bool(access(path, F_OK) == 0), "path": .string(path)])
      }
      // JSON-lines files (--log-format json) are parsed line by line: a line that is not JSON is null.
      let lines = text.split(separator: "\n").map { JSONValue.parse(String($0)) ?? .null }
      return .object([
        "exists": .bool(true), "path": .string(path),
        "content": .string(text.trimmingCharacters(in: .whitespacesAndNewlines)),
        "jsonLines": .array(lines), "lineCount": .number(Double(lines.count)),
      ])
    case .systemdUnit:
      guard testCase.systemdCgroup else { throw StepFailure("systemd-unit: the case is not a systemdCgroup case") }
      return try SystemdPlacement.show(
        JSONValue.string(step.unit ?? "{{systemd.scope}}").substituting(placeholders).text,
        timeout: timeout)
    default:
      throw StepFailure("not an observation")
    }
  }

  /// What the runtime said on create/run, to explain a missing report.
  func containerErrors() -> String {
    guard let bundle else { return "" }
    var text = ""
    for name in ["main.create.err", "main.run.err", "main.create.out", "main.run.out"] {
      if let s = try? String(contentsOfFile: bundle.path + "/" + name, encoding: .utf8), !s.isEmpty {
        text += " [\(name): \(s.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))]"
      }
    }
    return text
  }
}
