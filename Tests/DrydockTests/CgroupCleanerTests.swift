// CgroupCleaner: refuses paths it does not own; kills what is inside its own cgroups and removes them
// from every hierarchy. HostInfo: what this host reports.
import DrydockKit
import Foundation
import Testing

@Suite struct CgroupCleanerTests {
  @Test func refusesPathsItDoesNotOwn() throws {
    #expect(#expect(throws: HarnessError.self) { try CgroupCleaner(prefix: "/") }?.domain == .kit)
    #expect(#expect(throws: HarnessError.self) { try CgroupCleaner(prefix: "relative") }?.domain == .kit)
    #expect(#expect(throws: HarnessError.self) { try CgroupCleaner(prefix: "/process_api/mine") }?.domain == .kit)
    #expect(#expect(throws: HarnessError.self) { try CgroupCleaner(prefix: "/a/../process_api") }?.domain == .kit)
    let cleaner = try CgroupCleaner(prefix: "/drydock-test-own")
    #expect(cleaner.owns("/drydock-test-own/x/y"))
    #expect(!cleaner.owns("/drydock-test-owner"))
    #expect(!cleaner.owns("/drydock-test-own/../process_api"))
    let refused = cleaner.remove(cgroupsPath: "/process_api")
    #expect(refused.count == 1 && refused[0].errno == EPERM)
  }

  @Test(.enabled(if: getuid() == 0 && !HostInfo.cgroupMounts().isEmpty, "needs root and mounted cgroups"))
  func killsMembersAndRemovesEveryHierarchy() throws {
    let prefix = CgroupCleaner.uniquePrefix("drydock-test-cleaner")
    let cleaner = try CgroupCleaner(prefix: prefix)
    defer { _ = cleaner.removeAll() }
    let leaf = prefix + "/a/b"
    for directory in cleaner.directories(for: leaf) {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    // A process of our own, moved into the leaf of the memory hierarchy (pids would do as well).
    let sleeper = try SpawnedProcess.spawn(["/bin/sleep", "100"], stdout: .null, stderr: .null)
    let memory = try #require(cleaner.mounts.first { $0.controllers == ["memory"] || $0.controllers == ["pids"] })
    let procs = memory.path + leaf + "/cgroup.procs"
    try "\(sleeper.pid)".write(toFile: procs, atomically: false, encoding: .utf8)
    #expect(try String(contentsOfFile: procs, encoding: .utf8).contains("\(sleeper.pid)"))

    let failures = cleaner.removeAll()
    #expect(failures.isEmpty, "\(failures)")
    let result = sleeper.wait(timeout: 5)
    #expect(result.signal == SIGKILL)
    for directory in cleaner.directories(for: prefix) {
      #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) left behind")
    }
  }

  @Test func hostInfoDescribesThisMachine() {
    let host = HostInfo.current()
    #expect(host.cpus >= 1)
    #expect(!host.kernelRelease.isEmpty)
    #expect(host.loadAverage.count == 3)
    #expect(host.capabilityBoundingSet != 0)
    #expect(host.hasCapabilityInBoundingSet(21))  // CAP_SYS_ADMIN: containers need it
    #expect(HostInfo.binaryExists("sh"))
    #expect(!HostInfo.binaryExists("/nonexistent/x"))
    #expect(HostInfo.resolveExecutable("sh")?.hasPrefix("/") == true)
    if host.cgroupMode == .hybrid { #expect(!host.v1Controllers.isEmpty) }
  }
}
