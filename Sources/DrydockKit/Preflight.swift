// Preflight: before a suite uses a runtime, one trivial container (busybox `/bin/true`, the suite's own template
// and a cgroupsPath of its own) proves that the runtime can run anything at all on this host. A runtime that
// cannot is *unusable here*: its results would say nothing about the runtime and everything about the host, so
// suites report it with the reason (and the host fix when one is known) instead of counting failures.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the preflight found for one runtime; carried into every report.
public struct RuntimeUsability: Codable, Sendable, Equatable {
  public var name: String
  public var path: String
  public var version: String
  /// The global flags the runtime was run with (its profile's and --runtime-arg's).
  public var globalArgs: [String]
  public var usable: Bool
  /// Why not: the exit status and the last lines the runtime printed.
  public var reason: String?
  /// A host change known to make it usable (nil: none known).
  public var hostFix: String?

  enum CodingKeys: String, CodingKey {
    case name, path, version, usable, reason
    case globalArgs = "global_args"
    case hostFix = "host_fix"
  }

  public init(
    name: String, path: String, version: String, globalArgs: [String], usable: Bool,
    reason: String? = nil, hostFix: String? = nil
  ) {
    self.name = name
    self.path = path
    self.version = version
    self.globalArgs = globalArgs
    self.usable = usable
    self.reason = reason
    self.hostFix = hostFix
  }

  public init(_ runtime: RuntimeUnderTest, usable: Bool, reason: String? = nil, hostFix: String? = nil) {
    self.init(
      name: runtime.name, path: runtime.path, version: runtime.version, globalArgs: runtime.extraGlobalArgs,
      usable: usable, reason: reason, hostFix: hostFix)
  }

  /// One line for a terminal or a banner: "crun is unusable here: … Host fix: …".
  public var summary: String {
    if usable { return "\(name): usable" }
    var text = "\(name) is unusable on this host: \(reason ?? "unknown reason")"
    if let hostFix { text += ". Host fix: \(hostFix)" }
    return text
  }
}

public enum Preflight {
  /// Host fixes for what runtimes are known to say on hosts of this kind.
  static let knownFixes: [(said: String, fix: String)] = [
    (
      "cgroups in hybrid mode not supported",
      "crun refuses a hybrid cgroup host whose cgroup2 mount has controllers; bind hugetlb to a v1 hierarchy "
        + "(mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb), "
        + "as scripts/setup does"
    ),
    ("criu", "install criu (Debian package criu)"),
  ]

  static func hostFix(for output: String) -> String? {
    knownFixes.first { output.contains($0.said) }?.fix
  }

  /// Runs busybox `/bin/true` once with `run` and judges the runtime by it. Everything made is removed.
  public static func check(_ runtime: RuntimeUnderTest, factory: BundleFactory, timeout: Double = 60)
    -> RuntimeUsability
  {
    let label = "preflight-\(runtime.name)-\(getpid())"
    let stateRoot = factory.workDirectory + "/" + label + "-state"
    let prefix = CgroupCleaner.uniquePrefix("drydock-preflight")
    var bundle: OCIBundle?
    defer {
      if let bundle { try? factory.removeBundle(bundle) }
      if let cleaner = try? CgroupCleaner(prefix: prefix) { _ = cleaner.removeAll(killTimeout: 5) }
      try? FileManager.default.removeItem(atPath: stateRoot)
    }
    let driver = RuntimeDriver(runtime: runtime, stateRoot: stateRoot, timeout: timeout)
    do {
      var config = try factory.template()
      try config.setArgs(["/bin/true"])
      try config.set("process.terminal", to: false)
      try config.setCgroupsPath(prefix + "/c")
      bundle = try factory.makeBundle(name: label, config: config)
      let result = try driver.run(id: label, bundle: bundle!.path)
      _ = try? driver.delete(id: label, force: true)
      if result.succeeded { return RuntimeUsability(runtime, usable: true) }
      let said = (result.stderrText + "\n" + result.stdoutText)
      let lastLines = said.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }.suffix(3).joined(separator: " / ")
      let status =
        result.timedOut
        ? "timed out after \(Int(timeout)) s"
        : result.signal.map { "killed by signal \($0)" } ?? "exit status \(result.exitCode ?? -1)"
      return RuntimeUsability(
        runtime, usable: false,
        reason: "`run` of busybox /bin/true failed (\(status)): \(lastLines.isEmpty ? "no output" : lastLines)",
        hostFix: hostFix(for: said))
    } catch {
      return RuntimeUsability(runtime, usable: false, reason: "preflight could not run it: \(error)")
    }
  }

  /// Checks each runtime in turn, with one factory (one rootfs cache) for all of them, and prints a line per
  /// unusable runtime on stderr. `workDirectory` is the preflight's own: removed afterwards, with all in it.
  public static func checkAll(_ runtimes: [RuntimeUnderTest], workDirectory: String) throws -> [RuntimeUsability] {
    let factory = try BundleFactory(workDirectory: workDirectory)
    defer {
      factory.removeAll()
      try? FileManager.default.removeItem(atPath: workDirectory)  // its empty bundles/ was left in /tmp by every run
    }
    return runtimes.map { runtime in
      let usability = check(runtime, factory: factory)
      if !usability.usable {
        FileHandle.standardError.write(Data("drydock: WARNING: \(usability.summary)\n".utf8))
      }
      return usability
    }
  }

  /// For the commands that study one runtime (trace, stress): an unusable one is an error naming why.
  public static func requireUsable(_ runtime: RuntimeUnderTest) throws {
    let usability = try checkAll([runtime], workDirectory: NSTemporaryDirectory() + "drydock-preflight-\(getpid())")
    try enforce(usability, gate: runtime.path, requireAll: true)
  }

  /// The decision every suite makes after the preflight: a gated runtime that is unusable, or any unusable
  /// runtime with --require-all, is fatal; otherwise the unusable ones are reported and left out.
  public static func enforce(_ usability: [RuntimeUsability], gate: String?, requireAll: Bool) throws {
    let unusable = usability.filter { !$0.usable }
    if let gate,
      let gated = unusable.first(where: {
        $0.name == gate || $0.path == gate
          || $0.path == HostInfo.resolveExecutable(gate)
      })
    {
      throw HarnessError(.kit, operation: "preflight", path: gated.path, message: "the gated runtime: " + gated.summary)
    }
    if requireAll, let first = unusable.first {
      throw HarnessError(
        .kit, operation: "preflight", path: first.path,
        message: "--require-all: " + unusable.map(\.summary).joined(separator: "; "))
    }
  }
}
