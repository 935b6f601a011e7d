// Shared fixture of the tracer tests: one busybox bundle (bundles/make-rootfs + bundles/busybox/config.json with
// args ["/bin/true"] and an absolute cgroupsPath of the tests' own), made once and removed at exit.
import DrydockKit
import Foundation
import Testing
import Tracer

#if canImport(Glibc)
import Glibc
#endif

/// Every tracer suite nests in this one, run one test at a time: concurrent containers change what a runtime
/// reads (a longer /proc/self/mountinfo means more read calls), and crun's count must be exact.
@Suite("tracer", .serialized) enum TracerTests {}

final class TracerFixture: @unchecked Sendable {
  static let shared = TracerFixture()
  static var isRoot: Bool { getuid() == 0 }

  private let lock = NSLock()
  private var factory: BundleFactory?
  private var bundle: OCIBundle?
  private var workDirectory: String?
  let cgroupPrefix = CgroupCleaner.uniquePrefix("drydock-tracer-tests")

  /// The bundle directory; later calls return the same one.
  func bundlePath() throws -> String {
    lock.lock()
    defer { lock.unlock() }
    if let bundle { return bundle.path }
    let work = NSTemporaryDirectory() + "drydock-tracer-tests-\(getpid())"
    let factory = try BundleFactory(workDirectory: work)
    var config = try factory.template()
    try config.setArgs(["/bin/true"])
    try config.setCgroupsPath(cgroupPrefix + "/template")
    let made = try factory.makeBundle(name: "busybox-true", config: config)
    self.factory = factory
    self.bundle = made
    workDirectory = work
    atexit {
      TracerFixture.shared.factory?.removeAll()
      if let work = TracerFixture.shared.workDirectory { try? FileManager.default.removeItem(atPath: work) }
      if let cleaner = try? CgroupCleaner(prefix: TracerFixture.shared.cgroupPrefix) { _ = cleaner.removeAll() }
    }
    return made.path
  }

  /// The static hull users install (the debug build is dynamic: its loader alone differs), required by the
  /// level tests, and `bench/thresholds.json`'s `table.name` (syscall_levels, rss_levels) it is held to.
  static func releaseHullAndLevel(_ table: String, _ name: String) throws -> (path: String, level: Int) {
    let root = try #require(BundleFactory.repositoryRoot())
    let release = root + "/.build/release/hull"
    try #require(access(release, X_OK) == 0, "\(release) missing: scripts/test builds it before the tests")
    let data = try Data(contentsOf: URL(fileURLWithPath: root + "/bench/thresholds.json"))
    let levels = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?[table] as? [String: Any]
    let level = try #require(levels?[name] as? Int, "bench/thresholds.json has no \(table).\"\(name)\"")
    return (release, level)
  }

  /// runc/crun from PATH; hull from this repository's build (release first), when it has been built.
  static func runtime(_ name: String) -> RuntimeUnderTest? {
    if name == "hull", let root = BundleFactory.repositoryRoot() {
      let built = [root + "/.build/release/hull", root + "/.build/debug/hull"]
      guard let path = built.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
      return try? RuntimeUnderTest.probe(path, name: "hull")
    }
    guard HostInfo.binaryExists(name) else { return nil }
    return try? RuntimeUnderTest.probe(name)
  }

  /// One recording with a fresh session and a fresh bundle copy (so a new parent cgroup each time, as in the CLI).
  static func trace(_ runtime: RuntimeUnderTest, options: TraceOptions = TraceOptions()) throws -> TraceReport {
    let session = try TraceSession()
    defer { session.close() }
    let bundle = try TraceBundle(source: try shared.bundlePath(), label: "drydock-tracer-test")
    defer { bundle.remove() }
    return try RuntimeTracer(session: session, runtime: runtime).trace(bundle: bundle, options: options)
  }
}
