// The systemd host of SystemdCgroupTests: whether systemd is PID 1, `systemctl show`, and a user with a
// running user manager (made only in a `drydock vm` guest).
import Foundation
import Glibc
import Testing

enum SystemdHost {
  static let systemctl = ([String])(["/usr/bin/systemctl", "/bin/systemctl"]).first { access($0, X_OK) == 0 }

  /// Why the suite cannot run here, or nil.
  static let unavailable: String? = {
    let init1 = readText("/proc/1/comm").trimmingCharacters(in: .whitespacesAndNewlines)
    guard init1 == "systemd" else {
      return
        "systemd is not PID 1 (PID 1 is \(init1.isEmpty ? "unknown" : init1)): run in `drydock vm --cgroup v2 --init systemd`"
    }
    guard HullTestEnv.isRoot else { return "the systemd cgroup tests need root" }
    guard systemctl != nil else { return "no systemctl" }
    guard access("/run/systemd/system", F_OK) == 0 else { return "no /run/systemd/system" }
    return nil
  }()

  /// `systemctl show -p A,B unit` as a dictionary; a property shown on several lines (DeviceAllow)
  /// has them sorted and joined by newlines (systemd lists them in reverse of the order sent).
  static func show(_ unit: String, _ properties: [String]) -> [String: String] {
    guard let systemctl,
      let result = try? run([systemctl, "show", "-p", properties.joined(separator: ","), unit], outputDir: "/tmp")
    else { return [:] }
    var values: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<eq])
      let value = String(line[line.index(after: eq)...])
      values[key] =
        values[key].map { ($0.split(separator: "\n").map(String.init) + [value]).sorted().joined(separator: "\n") }
        ?? value
    }
    return values
  }

  static func loadState(_ unit: String) -> String { show(unit, ["LoadState"])["LoadState"] ?? "?" }

  /// Polls until the unit is gone (systemd drops an empty or stopped scope asynchronously).
  static func waitGone(_ unit: String, seconds: Double = 10) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if loadState(unit) == "not-found" { return true }
      usleep(50_000)
    }
    return loadState(unit) == "not-found"
  }

  static func stop(_ unit: String) {
    guard let systemctl else { return }
    _ = try? run([systemctl, "stop", unit], outputDir: "/tmp")
    _ = try? run([systemctl, "reset-failed", unit], outputDir: "/tmp")
  }
}

/// A user with a running user manager (user@UID.service), for --systemd-cgroup as that user. Making one creates a
/// user and enables lingering: done only in a `drydock vm` guest (DRYDOCK_VM=1), never on a real host.
enum SystemdUser {
  static let name = "hullsd"
  static let uid: UInt32 = 1500

  /// Why no user manager can be had here, or nil once it runs.
  static let unavailable: String? = {
    if let reason = SystemdHost.unavailable { return reason }
    guard ProcessInfo.processInfo.environment["DRYDOCK_VM"] == "1" else {
      return "makes a user and a user manager (loginctl enable-linger): only in a `drydock vm --init systemd` guest"
    }
    guard let systemctl = SystemdHost.systemctl, let setpriv = RootlessHost.setpriv else {
      return "no systemctl or setpriv"
    }
    func sh(_ script: String, timeout: Double = 120) -> CommandResult? {
      try? HullTests.run(["/bin/sh", "-c", script], outputDir: "/tmp", timeout: timeout)
    }
    if readText("/etc/passwd").split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) == nil {
      guard sh("useradd -m -u \(uid) \(name)")?.status == 0 else { return "useradd \(name) failed" }
    }
    // The guest boots a minimal drydock.target: services with default dependencies wait for sysinit.target,
    // which never comes. logind and the user manager's units get that dependency dropped (runtime drop-ins).
    if SystemdHost.show("systemd-logind.service", ["ActiveState"])["ActiveState"] != "active" {
      let dropIns = ["systemd-logind.service", "user-runtime-dir@.service", "user@.service"].map {
        "mkdir -p /run/systemd/system/\($0).d && printf '[Unit]\\nDefaultDependencies=no\\n' >/run/systemd/system/\($0).d/hull-tests.conf"
      }.joined(separator: " && ")
      guard let r = sh(dropIns + " && \(systemctl) daemon-reload"), r.status == 0 else {
        return "could not add drop-ins for logind"
      }
    }
    guard let linger = sh("loginctl enable-linger \(name) && \(systemctl) start user@\(uid).service"),
      linger.status == 0
    else {
      return
        "the user manager did not start: \(String(describing: sh("\(systemctl) status --no-pager user@\(uid).service")))"
    }
    for _ in 0..<300 where access("/run/user/\(uid)/systemd/private", F_OK) != 0 { usleep(100_000) }
    guard access("/run/user/\(uid)/systemd/private", F_OK) == 0 else {
      return "user@\(uid).service has no private socket"
    }
    return nil
  }()

  static var environment: [String] { ["XDG_RUNTIME_DIR=/run/user/\(uid)", "HOME=/home/\(name)", "PATH=/usr/bin:/bin"] }

  /// `argv` as the user (its manager reachable through XDG_RUNTIME_DIR).
  static func asUser(_ argv: [String], in dir: String) throws -> CommandResult {
    try spawn(
      [RootlessHost.setpriv!, "--reuid=\(uid)", "--regid=\(uid)", "--init-groups", "/usr/bin/env"] + environment + argv,
      outputDir: dir
    ).wait()
  }

  static func show(_ unit: String, _ properties: [String], in dir: String) -> [String: String] {
    guard
      let result = try? asUser(
        [SystemdHost.systemctl!, "--user", "show", "-p", properties.joined(separator: ","), unit], in: dir)
    else { return [:] }
    var values: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
      if let eq = line.firstIndex(of: "=") { values[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
    }
    return values
  }
}
