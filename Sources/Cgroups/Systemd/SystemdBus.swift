import LinuxKit

/// The few calls the systemd driver makes on org.freedesktop.systemd1.Manager. SDBusConnection
/// makes them through libsystemd's sd-bus; the tests use a recording fake.
public protocol SystemdBus: AnyObject {
  /// StartTransientUnit(name, mode, properties, []) → the job's object path.
  func startTransientUnit(_ name: String, mode: String, properties: [UnitProperty]) throws(CgroupError) -> String
  /// SetUnitProperties(name, runtime, properties).
  func setUnitProperties(_ name: String, runtime: Bool, properties: [UnitProperty]) throws(CgroupError)
  /// StopUnit(name, mode) → the job's object path.
  func stopUnit(_ name: String, mode: String) throws(CgroupError) -> String
  /// ResetFailedUnit(name).
  func resetFailedUnit(_ name: String) throws(CgroupError)
  /// Waits for the JobRemoved signal of job `path` and returns its result ("done", "failed",
  /// "canceled", "timeout", "dependency", "skipped").
  func waitForJob(_ path: String, timeoutMs: Int) throws(CgroupError) -> String
  /// A string property of the manager object ("Version", "ControlGroup").
  func managerProperty(_ name: String) throws(CgroupError) -> String
}

extension SystemdBus {
  /// The manager's version number ("252.39-1~deb12u2" → 252); 0 when unknown.
  public func version() -> Int {
    guard let text = try? managerProperty("Version") else { return 0 }
    return Int(text.prefix { $0.isNumber }) ?? 0
  }
}

/// D-Bus error names the driver reacts to.
enum SystemdErrorName {
  static let noSuchUnit = "org.freedesktop.systemd1.NoSuchUnit"
  static let unitExists = "org.freedesktop.systemd1.UnitExists"
}

extension CgroupError {
  /// A failed bus call: "systemd StartTransientUnit hull-x.scope: <errno text> (<D-Bus error name>: <message>)".
  static func bus(_ call: String, _ unit: String, errno: Int32, name: String?, message: String?) -> CgroupError {
    var detail = SystemError.describe(errno)
    if let name {
      detail += " (\(name)\(message.map { ": " + $0 } ?? ""))"
    } else if let message {
      detail += " (\(message))"
    }
    var error = CgroupError("systemd \(call)", unit, errno: errno, detail: detail)
    error.busError = name
    return error
  }
}
