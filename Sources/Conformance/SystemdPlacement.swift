// SystemdPlacement: where a `systemdCgroup: true` case puts its container, in the systemd form of cgroupsPath
// ("slice:prefix:name", runc's --systemd-cgroup convention), the placeholders its steps use, the `systemd-unit`
// observation (systemctl show), and the clean-up: the units the case's final cgroupsPath names are stopped when
// the runtime left them, but only units whose names carry this run's token (nothing of the host's is touched).
import DrydockKit
import Foundation

struct SystemdPlacement {
  /// The scope prefix: the run's cgroup prefix without its slash ("drydock-conf-<pid>-<random>").
  let prefix: String
  let name: String
  /// Unique to the case and free of '-' (a '-' in a slice name means nesting): for slices a case makes up.
  let token: String

  init(runPrefix: String, serial: Int) {
    prefix = runPrefix.split(separator: "/").joined(separator: "-")
    name = String(serial)
    token = prefix.replacingOccurrences(of: "-", with: "") + "n\(serial)"
  }

  var scope: String { "\(prefix)-\(name).scope" }
  var cgroupsPath: String { "system.slice:\(prefix):\(name)" }

  /// {{systemd.slice}}, {{systemd.prefix}}, {{systemd.name}}, {{systemd.scope}} (the unit), {{systemd.cgroup}} (the
  /// scope's cgroup below a hierarchy's root) and {{systemd.token}}.
  var placeholders: [String: String] {
    [
      "systemd.slice": "system.slice", "systemd.prefix": prefix, "systemd.name": name, "systemd.scope": scope,
      "systemd.cgroup": "/system.slice/\(scope)", "systemd.token": token,
    ]
  }

  /// The units a systemd-form cgroupsPath names, deepest first, as runc derives them: the scope
  /// "<prefix>-<name>.scope" (or the slice `name` itself when it ends in .slice), then the slice and the parents
  /// its dashes imply ("a-b.slice" lies in "a.slice"). nil when the path is not in slice:prefix:name form.
  static func units(of cgroupsPath: String) -> [String]? {
    let parts = cgroupsPath.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3 else { return nil }
    let (slice, scopePrefix, name) = (parts[0], parts[1], parts[2])
    var units = [name.hasSuffix(".slice") ? name : "\(scopePrefix)-\(name).scope"]
    if slice.hasSuffix(".slice") {
      var parts = slice.dropLast(".slice".count).split(separator: "-").map(String.init)
      while !parts.isEmpty {
        units.append(parts.joined(separator: "-") + ".slice")
        parts.removeLast()
      }
    }
    return units
  }

  /// Stops what the runtime left of the case's units (after its delete --force): ours only.
  func stopLeftovers(cgroupsPath: String) {
    for unit in Self.units(of: cgroupsPath) ?? [] where unit.contains(prefix) || unit.contains(token) {
      let active = try? ProcessRunner.run(["systemctl", "is-active", unit], timeout: 10)
      guard let state = active?.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines),
        ["active", "activating", "deactivating", "reloading", "failed"].contains(state)
      else { continue }
      _ = try? ProcessRunner.run(["systemctl", "stop", unit], timeout: 20)
      _ = try? ProcessRunner.run(["systemctl", "reset-failed", unit], timeout: 10)
    }
  }

  /// `systemctl show UNIT`: every property as a string ({LoadState, ActiveState, ControlGroup, MemoryMax, …}).
  static func show(_ unit: String, timeout: Double) throws -> JSONValue {
    let result = try ProcessRunner.run(["systemctl", "show", "--no-pager", unit], timeout: timeout)
    guard result.succeeded else {
      throw StepFailure("systemctl show \(unit): \(result.summary): \(result.stderrText.prefix(300))")
    }
    var properties: [String: JSONValue] = [:]
    for line in result.stdoutText.split(separator: "\n") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      properties[String(line[..<eq])] = .string(String(line[line.index(after: eq)...]))
    }
    return .object(properties)
  }
}
