// RuntimeProfiles: the one place where drydock knows that a runtime needs global flags of its own on hosts like
// these. Every subcommand (conformance, bench, trace, stress) applies them when it probes a runtime, and every
// report shows them next to the runtime's name, so a reader knows exactly what was run.
//
// runsc (gVisor): `--network=none`. runsc's default network mode ("sandbox") wants a network namespace set up
// by a CNI plugin; the test-bed gives containers a fresh, empty one, where runsc cannot configure any
// interface and refuses to start. `none` gives the sandbox only its loopback, which is what runc and crun give
// a container in an empty namespace too.
//
// `--systemd-cgroup` (conformance cases with `systemdCgroup: true`, the run-systemd bench): runc, crun and hull
// read a cgroupsPath of the form "slice:prefix:name" only with this global flag, and place the container in a
// transient systemd scope through the bus instead of writing cgroupfs. It goes on every call of such a container,
// as containerd's shim does.
//
// More flags on the command line: `--runtime-arg NAME=ARG` (repeatable) is added after the profile's.
import Foundation

public enum RuntimeProfiles {
  /// Global flags per runtime, keyed by the binary's file name.
  public static let globalArgs: [String: [String]] = [
    "runsc": ["--network=none"]
  ]

  public static let systemdCgroupArgs = ["--systemd-cgroup"]

  /// The same runtime driven through its systemd cgroup driver.
  public static func withSystemdCgroup(_ runtime: RuntimeUnderTest) -> RuntimeUnderTest {
    var copy = runtime
    if !copy.extraGlobalArgs.contains(systemdCgroupArgs[0]) { copy.extraGlobalArgs += systemdCgroupArgs }
    return copy
  }

  /// The profile's flags for this binary (path or name), then the extra ones asked for.
  public static func arguments(for pathOrName: String, extra: [String] = []) -> [String] {
    let name = URL(fileURLWithPath: pathOrName).lastPathComponent
    return (globalArgs[name] ?? []) + extra
  }

  /// Parses `NAME=ARG` pairs into extra global arguments per runtime name.
  public static func parseExtra(_ pairs: [String]) throws -> [String: [String]] {
    var extra: [String: [String]] = [:]
    for pair in pairs {
      guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
        throw HarnessError(.kit, operation: "parse --runtime-arg", path: pair, errno: EINVAL, message: "want NAME=ARG")
      }
      extra[String(pair[..<eq]), default: []].append(String(pair[pair.index(after: eq)...]))
    }
    return extra
  }

  /// Finds and probes every runtime with its profile's flags and the extra ones.
  public static func probeAll(_ pathsOrNames: [String], extra: [String: [String]] = [:]) throws -> [RuntimeUnderTest] {
    try pathsOrNames.map { pathOrName in
      let name = URL(fileURLWithPath: pathOrName).lastPathComponent
      return try RuntimeUnderTest.probe(
        pathOrName, extraGlobalArgs: arguments(for: pathOrName, extra: extra[name] ?? []))
    }
  }
}
