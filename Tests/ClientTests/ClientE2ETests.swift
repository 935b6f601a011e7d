// End-to-end client tests: scripts/clients-e2e drives hull (and runc for comparison) through
// podman, containerd's ctr and docker (docs/clients.md), and these tests assert that
// every hull check passed. The script runs once per test process; each client is its own test case.
// Skipped, with the reason, when not root or when the clients are not installed (scripts/setup installs them).
import Foundation
import Glibc
import Testing

enum ClientE2E {
  /// The repository: Tests/ClientTests/ClientE2ETests.swift is three levels down.
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// $HULL_BINARY, else the hull built next to the test bundle, else the release build.
  static let hullPath: String = {
    if let path = ProcessInfo.processInfo.environment["HULL_BINARY"], !path.isEmpty { return path }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let sibling = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("hull").path
    if access(sibling, X_OK) == 0 { return sibling }
    return repoRoot + "/.build/release/hull"
  }()

  static let clients = ["podman", "ctr", "docker"]

  /// nil when the tests can run, else why not.
  static let unavailable: String? = {
    guard getuid() == 0 else { return "the client tests need root (containerd, dockerd, podman as root)" }
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin") + ":/usr/sbin:/usr/bin"
    func installed(_ name: String) -> Bool {
      name.hasPrefix("/")
        ? access(name, X_OK) == 0
        : path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }
    let missing = ["podman", "conmon", "containerd", "ctr", "dockerd", "/usr/bin/docker", "runc", "script", "umoci"]
      .filter { !installed($0) }
    if !missing.isEmpty {
      return "clients not installed: \(missing.joined(separator: " ")) (scripts/setup installs them)"
    }
    guard access(hullPath, X_OK) == 0 else { return "hull not built at \(hullPath) (swift build --product hull)" }
    return nil
  }()

  struct Outcome: Sendable {
    var status: Int32 = -1
    var output = ""
    var lines: [String] { output.split(separator: "\n").map(String.init) }
    /// Check lines of one client and runtime: ("ok"|"FAIL"|"skip", the whole line).
    func checks(client: String, runtime: String) -> [(verdict: String, line: String)] {
      lines.compactMap { line in
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 3, ["ok", "FAIL", "skip"].contains(String(fields[0])),
          fields[1] == client, fields[2] == runtime
        else { return nil }
        return (String(fields[0]), line)
      }
    }
  }

  /// Runs scripts/clients-e2e once (about 20-60 s; 150 s on this machine under the load of other VMs); killed
  /// with SIGTERM (it then cleans up) after 400 s.
  static let outcome: Outcome = run([], watchdogSeconds: 400)

  /// Runs scripts/clients-e2e with `arguments`; SIGTERM (it then cleans up) after `watchdogSeconds`.
  static func run(_ arguments: [String], watchdogSeconds: Double) -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [repoRoot + "/scripts/clients-e2e"] + arguments
    var env = ProcessInfo.processInfo.environment
    env["HULL"] = hullPath
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    var outcome = Outcome()
    do { try process.run() } catch {
      outcome.output = "could not start scripts/clients-e2e: \(error)"
      return outcome
    }
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGTERM) }
    DispatchQueue.global().asyncAfter(deadline: .now() + watchdogSeconds, execute: watchdog)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    outcome.status = process.terminationStatus
    outcome.output = String(decoding: data, as: UTF8.self)
    return outcome
  }
}

@Suite(
  "clients end to end: podman, ctr and docker drive hull", .serialized,
  .enabled(if: ClientE2E.unavailable == nil, Comment(rawValue: ClientE2E.unavailable ?? "")))
struct ClientE2ETests {
  @Test("the client run completes and cleans up", .timeLimit(.minutes(8)))
  func scriptRuns() {
    let outcome = ClientE2E.outcome
    print(
      outcome.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.hasPrefix("==") }.joined(
        separator: "\n"))
    #expect(
      outcome.status == 0 || outcome.status == 1,
      "scripts/clients-e2e did not run to the end (status \(outcome.status)):\n\(outcome.output.suffix(3000))")
    #expect(outcome.lines.contains { $0.hasPrefix("== summary:") }, "no summary line:\n\(outcome.output.suffix(3000))")
    #expect(!outcome.output.contains("warning: mounts left"), "mounts left behind")
    #expect(!outcome.output.contains("not removed"), "temp dir left behind")
  }

  @Test("every hull check passes", .timeLimit(.minutes(8)), arguments: ClientE2E.clients)
  func hullPasses(client: String) {
    let checks = ClientE2E.outcome.checks(client: client, runtime: "hull")
    #expect(
      checks.contains { $0.verdict == "ok" },
      "no hull check ran for \(client):\n\(ClientE2E.outcome.output.suffix(3000))")
    for failure in checks where failure.verdict == "FAIL" {
      Issue.record("\(failure.line)\n\(ClientE2E.detail(of: failure.line))")
    }
  }

  @Test("runc passes the same checks (the reference)", .timeLimit(.minutes(8)), arguments: ClientE2E.clients)
  func runcReference(client: String) {
    let checks = ClientE2E.outcome.checks(client: client, runtime: "runc")
    #expect(checks.contains { $0.verdict == "ok" }, "no runc check ran for \(client)")
    let failed = checks.filter { $0.verdict == "FAIL" }.map(\.line)
    #expect(failed.isEmpty, "runc fails too (a host or client problem, not hull's): \(failed.joined(separator: "\n"))")
  }
}

extension ClientE2E {
  /// The indented output lines that follow a FAIL line.
  static func detail(of line: String, in outcome: Outcome = ClientE2E.outcome) -> String {
    let lines = outcome.lines
    guard let index = lines.firstIndex(of: line) else { return "" }
    return lines[(index + 1)...].prefix { $0.hasPrefix("      |") }.joined(separator: "\n")
  }
}
