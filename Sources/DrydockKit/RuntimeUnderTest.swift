// RuntimeUnderTest: one OCI runtime binary driven as a black box through its runc-style CLI.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct RuntimeUnderTest: Sendable, Hashable, CustomStringConvertible {
  /// A short label for tables ("runc", "crun", "hull"): the binary's file name by default.
  public var name: String
  /// The absolute path of the binary.
  public var path: String
  /// Put before the subcommand, after the binary (e.g. ["--systemd-cgroup"]); not --root.
  public var extraGlobalArgs: [String]
  /// The first line of `PATH --version` ("" when it prints nothing).
  public var version: String
  /// Everything `--version` printed.
  public var fullVersion: String

  /// Runs no process.
  public init(
    name: String, path: String, extraGlobalArgs: [String] = [], version: String = "", fullVersion: String = ""
  ) {
    self.name = name
    self.path = path
    self.extraGlobalArgs = extraGlobalArgs
    self.version = version
    self.fullVersion = fullVersion
  }

  public var description: String { version.isEmpty ? "\(name) (\(path))" : "\(name) \(version) (\(path))" }

  /// Find the binary (absolute path, relative path, or a name looked up in PATH) and read its version (`--version`, 5 s timeout).
  public static func probe(_ pathOrName: String, name: String? = nil, extraGlobalArgs: [String] = []) throws
    -> RuntimeUnderTest
  {
    guard let resolved = HostInfo.resolveExecutable(pathOrName) else {
      throw HarnessError(
        .kit, operation: "find runtime", path: pathOrName, errno: ENOENT,
        message: "no executable file by that name or path")
    }
    let result = try ProcessRunner.run([resolved] + extraGlobalArgs + ["--version"], timeout: 5)
    let text = result.stdoutText.isEmpty ? result.stderrText : result.stdoutText
    let firstLine = text.split(separator: "\n").first.map(String.init) ?? ""
    let label = name ?? URL(fileURLWithPath: resolved).lastPathComponent
    return RuntimeUnderTest(
      name: label, path: resolved, extraGlobalArgs: extraGlobalArgs,
      version: firstLine.trimmingCharacters(in: .whitespaces),
      fullVersion: text.trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
