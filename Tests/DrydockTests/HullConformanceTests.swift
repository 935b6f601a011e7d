// The whole conformance suite against this repository's hull, run by the drydock CLI in a process
// of its own (its cgroup prefix and subreaper stay out of this test process): every case the host
// supports must pass. drydock drives hull only through hull's CLI.
import DrydockKit
import Foundation
import Testing

@Suite struct HullConformanceTests {
  static var binaries: (hull: String, drydock: String)? {
    guard let root = BundleFactory.repositoryRoot() else { return nil }
    let hull = root + "/.build/debug/hull"
    let drydock = root + "/.build/debug/drydock"
    let fm = FileManager.default
    return fm.isExecutableFile(atPath: hull) && fm.isExecutableFile(atPath: drydock) ? (hull, drydock) : nil
  }

  @Test(.enabled(if: getuid() == 0 && binaries != nil, "needs root and .build/debug/{hull,drydock} (swift build)"))
  func hullPassesEverySupportedCase() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let (hull, drydock) = try #require(Self.binaries)
    let out = NSTemporaryDirectory() + "drydock-hull-conformance-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: out) }
    // Under qemu's software emulation (drydock vm on a host without usable KVM) everything runs several times slower.
    let slowdown = ProcessInfo.processInfo.environment["DRYDOCK_VM_ACCEL"] == "tcg" ? 4.0 : 1.0
    let result = try ProcessRunner.run(
      [
        drydock, "conformance", "--runtime", hull, "--jobs", "2",
        "--call-timeout", String(Int(15 * slowdown)), "--out", out,
      ],
      environment: ["DRYDOCK_REPO=" + root, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
      workingDirectory: root, timeout: 600 * slowdown)
    #expect(result.exitCode == 0, "drydock conformance: \(result.summary)")
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/conformance.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let runtime = try #require((json["runtimes"] as? [[String: Any]])?.first)
    let cases = try #require(runtime["cases"] as? [[String: Any]])
    #expect(cases.count >= 150)
    for c in cases where c["status"] as? String == "fail" {
      Issue.record("hull \(c["id"] ?? "?"): \(c["message"] ?? "")")
    }
    #expect(cases.filter { $0["status"] as? String == "pass" }.count >= 250)
    // Skips are decided by the host alone: each names what the host lacks.
    for c in cases where c["status"] as? String == "skip" { #expect(!((c["message"] as? String) ?? "").isEmpty) }
  }
}

/// The systemd cgroup cases (conformance/cases/cgroups-systemd: --systemd-cgroup, slice:prefix:name) for hull and
/// runc (the reference), where systemd is PID 1: the test command's systemd group (drydock vm --init systemd).
@Suite struct HullSystemdConformanceTests {
  static let unavailable: String? = {
    if getuid() != 0 { return "needs root" }
    if HullConformanceTests.binaries == nil { return "needs .build/debug/{hull,drydock} (swift build)" }
    if HostInfo.resolveExecutable("runc") == nil { return "runc is not installed (the reference)" }
    guard FileManager.default.fileExists(atPath: "/run/systemd/system") else {
      return
        "the host does not run systemd as its init: run in drydock vm --cgroup v2 --init systemd (scripts/test's systemd group)"
    }
    return nil
  }()

  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func hullAndRuncPassEverySystemdCase() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let (hull, drydock) = try #require(HullConformanceTests.binaries)
    let out = NSTemporaryDirectory() + "drydock-hull-systemd-conformance-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let slowdown = ProcessInfo.processInfo.environment["DRYDOCK_VM_ACCEL"] == "tcg" ? 4.0 : 1.0
    let result = try ProcessRunner.run(
      [
        drydock, "conformance", "--runtime", hull, "--runtime", "runc", "--jobs", "2",
        "--filter", "cgroups-systemd/*", "--call-timeout", String(Int(15 * slowdown)),
        "--out", out,
      ],
      environment: ["DRYDOCK_REPO=" + root, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
      workingDirectory: root, timeout: 300 * slowdown)
    #expect(result.exitCode == 0, "drydock conformance: \(result.summary)")
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/conformance.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let runtimes = try #require(json["runtimes"] as? [[String: Any]])
    #expect(runtimes.count == 2)
    for runtime in runtimes {
      let name = (runtime["name"] as? String) ?? "?"
      let cases = try #require(runtime["cases"] as? [[String: Any]])
      // The host runs systemd: only the cases of the other cgroup version may skip.
      #expect(cases.filter { $0["status"] as? String == "pass" }.count >= 8, "\(name): \(cases)")
      for c in cases where c["status"] as? String == "fail" {
        Issue.record("\(name) \(c["id"] ?? "?"): \(c["message"] ?? "")")
      }
      for c in cases where c["status"] as? String == "skip" {
        #expect(
          ((c["message"] as? String) ?? "").contains("cgroup"),
          "\(name) \(c["id"] ?? "?") skipped: \(c["message"] ?? "")")
      }
    }
  }
}
