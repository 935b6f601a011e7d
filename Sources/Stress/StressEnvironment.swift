// StressEnvironment: one runtime's sandbox for a stress run: a work directory (bundles, state root), a cgroup
// prefix of its own, and a teardown that removes every trace whatever the runtime left.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A value behind an NSLock, for the worker threads.
public final class Locked<Value>: @unchecked Sendable {
  private var value: Value
  private let lock = NSLock()
  public init(_ value: Value) { self.value = value }
  public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
  public var snapshot: Value { withLock { $0 } }
}

/// The bundle factory is not thread-safe: bundles are made and removed on the creating thread only; workers
/// just rewrite config.json files of bundles they own.
public final class StressEnvironment {
  public let runtime: RuntimeUnderTest
  public let workDirectory: String
  public let stateRoot: String
  public let cleaner: CgroupCleaner
  public let driver: RuntimeDriver
  let factory: BundleFactory
  private var tornDown = false

  /// The cgroup prefix (absolute, unique to this run).
  public var prefix: String { cleaner.prefix }

  public init(runtime: RuntimeUnderTest, label: String, timeout: Double = 30) throws(HarnessError) {
    self.runtime = runtime
    let directory =
      "/tmp/drydock-\(label)-\(runtime.name)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    guard mkdir(directory, 0o700) == 0 else {
      throw HarnessError(.stress, operation: "mkdir", path: directory, message: String(cString: strerror(errno)))
    }
    workDirectory = directory
    stateRoot = directory + "/state"
    driver = RuntimeDriver(runtime: runtime, stateRoot: directory + "/state", timeout: timeout)
    do {
      cleaner = try CgroupCleaner(prefix: CgroupCleaner.uniquePrefix("drydock-\(label)"))
      factory = try BundleFactory(workDirectory: directory)
      _ = try factory.rootfsCache()
    } catch {
      try? FileManager.default.removeItem(atPath: directory)
      throw (error as? HarnessError)?.relabeled(.stress)
        ?? HarnessError(.stress, operation: "set up", path: directory, message: "\(error)")
    }
  }

  deinit { _ = tearDown() }

  /// Audits exactly this environment's traces.
  public var auditor: LeakAuditor {
    LeakAuditor(prefix: prefix, stateRoot: stateRoot, markers: [workDirectory])
  }

  public func cgroupsPath(_ name: String) -> String { prefix + "/" + name }

  /// The busybox template with its process args and cgroupsPath replaced.
  public func config(args: [String], cgroupsPath: String) throws(HarnessError) -> ConfigTree {
    var tree = try kit { try factory.template() }
    try kit {
      try tree.setArgs(args)
      try tree.setCgroupsPath(cgroupsPath)
    }
    return tree
  }

  /// Through BundleFactory (a read-only bind mount by default).
  public func makeBundle(name: String, config: ConfigTree, strategy: RootfsStrategy? = nil) throws(HarnessError)
    -> OCIBundle
  {
    try kit { try factory.makeBundle(name: name, config: config, strategy: strategy) }
  }

  public func removeBundle(_ bundle: OCIBundle) throws(HarnessError) {
    try kit { try factory.removeBundle(bundle) }
  }

  /// Every container id the runtime lists in this state root ([] when `list` fails or prints no JSON array).
  public func listedIDs() -> [String] {
    guard let result = try? driver.list(), result.succeeded,
      let entries = result.jsonObject() as? [[String: Any]]
    else { return [] }
    return entries.compactMap { $0["id"] as? String }
  }

  /// Removes everything this environment made or caused, as far as it can; returns what it could not remove.
  /// It force-deletes what `list` shows, kills processes of ours, and removes cgroups, mounts and files.
  public func tearDown() -> [String] {
    guard !tornDown else { return [] }
    tornDown = true
    var problems: [String] = []
    var ids = Set(listedIDs())
    if let names = try? FileManager.default.contentsOfDirectory(atPath: stateRoot) {
      ids.formUnion(names.filter { !$0.hasPrefix(".") })  // a corrupt entry `list` skips still deserves a delete
    }
    for id in ids.sorted() { _ = try? driver.delete(id: id, force: true) }
    // Processes of ours that outlived their runtime (a killed create's helper, a hook): SIGKILL, by pid.
    for process in auditor.ownProcesses() { kill(process.pid, SIGKILL) }
    for failure in cleaner.removeAll() { problems.append("\(failure)") }
    // The prefix's parents are the runtimes' doing, but the prefix directory itself is ours to remove.
    for mount in cleaner.mounts { rmdir(mount.path + prefix) }
    for line in LeakAuditor.mountLines() where line.mountPoint.hasPrefix(workDirectory + "/") {
      umount2(line.mountPoint, Int32(MNT_DETACH))
    }
    factory.removeAll()
    do { try FileManager.default.removeItem(atPath: workDirectory) } catch {
      problems.append("remove \(workDirectory): \(error)")
    }
    return problems
  }
}

/// Runs `body`, reporting a DrydockKit failure as a stress one ("stress: ...") so callers see one domain.
func kit<T>(_ body: () throws -> T) throws(HarnessError) -> T {
  do { return try body() } catch let error as HarnessError { throw error.relabeled(.stress) } catch {
    throw HarnessError(.stress, operation: "unexpected", message: "\(error)")
  }
}
