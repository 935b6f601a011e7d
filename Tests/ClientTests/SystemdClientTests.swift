// The clients in their systemd modes, on a host whose PID 1 is systemd (drydock vm --cgroup v2 --init systemd; the
// test command's systemd group): scripts/clients-e2e --cgroup-manager systemd drives hull and runc through podman
// (cgroup_manager "systemd"), ctr (the runc shim's SystemdCgroup, a slice:prefix:name cgroup) and dockerd
// (native.cgroupdriver=systemd), and checks each container's scope (docs/clients.md §7). Every hull check must pass,
// and runc, the reference, must pass them too. Skipped with the reason elsewhere.
import Foundation
import Glibc
import Testing

enum SystemdClients {
  /// nil when the tests can run, else why not.
  static let unavailable: String? = {
    if let reason = ClientE2E.unavailable { return reason }
    let init1 = (try? String(contentsOfFile: "/proc/1/comm", encoding: .utf8))?.trimmingCharacters(
      in: .whitespacesAndNewlines)
    guard init1 == "systemd", access("/run/systemd/system", F_OK) == 0 else {
      return
        "PID 1 is \(init1 ?? "unknown"), not systemd: run in drydock vm --cgroup v2 --init systemd (scripts/test's systemd group)"
    }
    return nil
  }()

  /// Under qemu's software emulation every client call is several times slower: ~10 min for both runtimes.
  static let watchdogSeconds: Double = ProcessInfo.processInfo.environment["DRYDOCK_VM_ACCEL"] == "tcg" ? 2400 : 600

  /// One run of the script in systemd mode per test process.
  static let outcome: ClientE2E.Outcome = ClientE2E.run(
    ["--cgroup-manager", "systemd"], watchdogSeconds: watchdogSeconds)
}

@Suite(
  "clients in systemd mode (podman, ctr, docker) drive hull on a systemd host", .serialized,
  .enabled(if: SystemdClients.unavailable == nil, Comment(rawValue: SystemdClients.unavailable ?? "")))
struct SystemdClientTests {
  @Test("the systemd-mode client run completes and cleans up", .timeLimit(.minutes(45)))
  func scriptRuns() {
    let outcome = SystemdClients.outcome
    print(
      outcome.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.hasPrefix("==") }.joined(
        separator: "\n"))
    #expect(
      outcome.status == 0 || outcome.status == 1,
      "scripts/clients-e2e --cgroup-manager systemd did not run to the end (status \(outcome.status)):\n\(outcome.output.suffix(3000))"
    )
    #expect(outcome.lines.contains { $0.hasPrefix("== summary:") }, "no summary line:\n\(outcome.output.suffix(3000))")
    #expect(!outcome.output.contains("warning: mounts left"), "mounts left behind")
    #expect(!outcome.output.contains("not removed"), "temp dir left behind")
  }

  @Test("every hull check passes, the scope checks included", .timeLimit(.minutes(45)), arguments: ClientE2E.clients)
  func hullPasses(client: String) {
    let outcome = SystemdClients.outcome
    let checks = outcome.checks(client: client, runtime: "hull")
    #expect(checks.contains { $0.verdict == "ok" }, "no hull check ran for \(client):\n\(outcome.output.suffix(3000))")
    // The systemd mode's own checks ran: the container's scope, its limit on the unit, the scope gone after rm.
    #expect(
      checks.contains { $0.verdict == "ok" && $0.line.contains("cgroup is the scope") },
      "no scope check passed for \(client)")
    #expect(checks.contains { $0.line.contains("scope") && $0.line.contains("gone") }, "no removal check for \(client)")
    for failure in checks where failure.verdict == "FAIL" {
      Issue.record("\(failure.line)\n\(ClientE2E.detail(of: failure.line, in: outcome))")
    }
  }

  @Test("runc passes the same checks (the reference)", .timeLimit(.minutes(45)), arguments: ClientE2E.clients)
  func runcReference(client: String) {
    let checks = SystemdClients.outcome.checks(client: client, runtime: "runc")
    #expect(checks.contains { $0.verdict == "ok" }, "no runc check ran for \(client)")
    let failed = checks.filter { $0.verdict == "FAIL" }.map(\.line)
    #expect(failed.isEmpty, "runc fails too (a host or client problem, not hull's): \(failed.joined(separator: "\n"))")
  }
}
