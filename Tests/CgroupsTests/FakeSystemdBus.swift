// A recording stand-in for systemd's manager on D-Bus: every call the systemd driver makes, in
// order, with the properties as sent (names, values, type signatures), and scripted answers.
import Cgroups
import Glibc

final class FakeSystemdBus: SystemdBus, @unchecked Sendable {
  enum Call: Equatable, CustomStringConvertible {
    case start(String, mode: String, [UnitProperty])
    case set(String, runtime: Bool, [UnitProperty])
    case stop(String, mode: String)
    case resetFailed(String)
    case wait(String)
    case property(String)

    var description: String {
      switch self {
      case .start(let name, let mode, let p): "StartTransientUnit(\(name), \(mode), \(p))"
      case .set(let name, let runtime, let p): "SetUnitProperties(\(name), \(runtime), \(p))"
      case .stop(let name, let mode): "StopUnit(\(name), \(mode))"
      case .resetFailed(let name): "ResetFailedUnit(\(name))"
      case .wait(let job): "wait(\(job))"
      case .property(let name): "Get(\(name))"
      }
    }
  }

  var calls: [Call] = []
  var version = "252.39-1~deb12u2"
  var controlGroup = "/user.slice/user-1000.slice/user@1000.service"
  /// Results of the next jobs, first to last ("done" when none is left).
  var jobResults: [String] = []
  /// Errors of the next StartTransientUnit calls (nil: succeed).
  var startErrors: [CgroupError?] = []
  var stopError: CgroupError?
  /// Called at SetUnitProperties (to look at the cgroup at that moment).
  var onSet: (() -> Void)?
  private var jobs = 0

  static func busError(_ name: String, errno: Int32 = EEXIST) -> CgroupError {
    var error = CgroupError("systemd StartTransientUnit", "", errno: errno, detail: name)
    error.busError = name
    return error
  }

  func startTransientUnit(_ name: String, mode: String, properties: [UnitProperty]) throws(CgroupError) -> String {
    calls.append(.start(name, mode: mode, properties))
    if !startErrors.isEmpty, let error = startErrors.removeFirst() { throw error }
    return nextJob()
  }

  func setUnitProperties(_ name: String, runtime: Bool, properties: [UnitProperty]) throws(CgroupError) {
    calls.append(.set(name, runtime: runtime, properties))
    onSet?()
  }

  func stopUnit(_ name: String, mode: String) throws(CgroupError) -> String {
    calls.append(.stop(name, mode: mode))
    if let stopError { throw stopError }
    return nextJob()
  }

  func resetFailedUnit(_ name: String) throws(CgroupError) { calls.append(.resetFailed(name)) }

  func waitForJob(_ path: String, timeoutMs: Int) throws(CgroupError) -> String {
    calls.append(.wait(path))
    return jobResults.isEmpty ? "done" : jobResults.removeFirst()
  }

  func managerProperty(_ name: String) throws(CgroupError) -> String {
    calls.append(.property(name))
    return name == "Version" ? version : controlGroup
  }

  private func nextJob() -> String {
    jobs += 1
    return "/org/freedesktop/systemd1/job/\(jobs)"
  }

  /// The properties of the first StartTransientUnit call.
  var startProperties: [UnitProperty] {
    for call in calls { if case .start(_, _, let p) = call { return p } }
    return []
  }
}

extension Array where Element == UnitProperty {
  /// name → "signature value", to compare a whole property list at once.
  var table: [String] {
    map { "\($0.name) \($0.value.signature) \($0.value)" }
  }
}
