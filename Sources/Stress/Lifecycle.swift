// Lifecycle: the container lifecycles the churn mixes, each driven through the runtime's CLI and timed per call.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum Lifecycle: String, Codable, CaseIterable, Sendable {
  case run
  case createStartKillDelete = "create-start-kill-delete"
  case createDelete = "create-delete"
  case exec

  /// What the container runs: "true" for run, a long sleep otherwise.
  public var processArgs: [String] { self == .run ? ["true"] : ["sleep", "100000"] }
}

public struct CallRecord: Sendable {
  public var operation: String
  public var milliseconds: Double
  public var failure: String?
}

public struct LifecycleDriver: Sendable {
  public var driver: RuntimeDriver
  public var pidDirectory: String

  public init(driver: RuntimeDriver, pidDirectory: String) {
    self.driver = driver
    self.pidDirectory = pidDirectory
    try? FileManager.default.createDirectory(atPath: pidDirectory, withIntermediateDirectories: true)
  }

  private struct Failed: Error {}

  /// Every call made. A failure stops the lifecycle and leaves the container to `delete --force` (also
  /// recorded), so one failure never snowballs into leaks.
  public func perform(_ lifecycle: Lifecycle, id: String, bundle: String) -> [CallRecord] {
    var records: [CallRecord] = []
    let pidFile = pidDirectory + "/" + id
    defer { unlink(pidFile) }
    /// One call: recorded, and a failure ends the lifecycle.
    func call(_ operation: String, expectSuccess: Bool = true, _ body: () throws -> ProcessResult) throws
      -> ProcessResult
    {
      do {
        let result = try body()
        let failed = expectSuccess && !result.succeeded
        records.append(
          CallRecord(
            operation: operation, milliseconds: result.wallMilliseconds,
            failure: failed ? "\(id) \(operation): \(result.summary)" : nil))
        if failed { throw Failed() }
        return result
      } catch let error as HarnessError {
        records.append(CallRecord(operation: operation, milliseconds: 0, failure: "\(id) \(operation): \(error)"))
        throw Failed()
      }
    }
    do {
      switch lifecycle {
      case .run:
        _ = try call("run") { try driver.run(id: id, bundle: bundle) }
        // runc and crun delete a foreground-run container when it exits; a runtime that keeps it must not leak it.
        if (try? driver.state(id: id))?.succeeded == true {
          _ = try call("delete") { try driver.delete(id: id) }
        }
      case .createDelete:
        _ = try call("create") { try driver.create(id: id, bundle: bundle) }
        // The spec makes a plain delete of a created container an error (runc and crun allow it): --force.
        _ = try call("delete --force") { try driver.delete(id: id, force: true) }
      case .createStartKillDelete, .exec:
        _ = try call("create") { try driver.create(id: id, bundle: bundle, pidFile: pidFile) }
        _ = try call("start") { try driver.start(id: id) }
        let state = try call("state") { try driver.state(id: id) }
        let status = (state.jsonObject() as? [String: Any])?["status"] as? String
        if status != "running" {
          records.append(
            CallRecord(
              operation: "state", milliseconds: 0,
              failure: "\(id) state: status \(status ?? "<not JSON>") after start, expected running"))
          throw Failed()
        }
        if lifecycle == .exec {
          for _ in 0..<2 { _ = try call("exec") { try driver.exec(id: id, process: .args(["true"])) } }
        }
        _ = try call("kill") { try driver.kill(id: id, signal: "KILL") }
        try waitStopped(pidFile: pidFile, id: id, records: &records)
        _ = try call("delete") { try driver.delete(id: id) }
      }
    } catch {
      // Leave nothing: the audit must see what the runtime leaves after a clean delete, not after our abort.
      if let result = try? driver.delete(id: id, force: true) {
        records.append(
          CallRecord(operation: "delete --force (after failure)", milliseconds: result.wallMilliseconds, failure: nil))
      }
    }
    return records
  }

  /// The container's init has exited (pidfd), so a plain delete is allowed; runtimes see a zombie as stopped.
  private func waitStopped(pidFile: String, id: String, records: inout [CallRecord]) throws {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
    else {
      records.append(
        CallRecord(operation: "pid-file", milliseconds: 0, failure: "\(id): no pid in \(pidFile) after create"))
      throw Failed()
    }
    if !ProcessRunner.waitForExit(pid: pid, timeout: 10) {
      records.append(
        CallRecord(operation: "kill", milliseconds: 0, failure: "\(id): init pid \(pid) alive 10 s after SIGKILL"))
      throw Failed()
    }
  }
}
