// FaultInjection: SIGKILL the runtime at random points of create/start/exec/delete, remove the bundle mid-create,
// hang a hook (with and without a timeout), fill the state directory's file system. After each fault, `state`
// and `list` must print well-formed output (or a clear error), `delete --force` must leave nothing behind, and
// what it did leave is listed per case, so runtimes can be compared.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum FaultKind: String, Codable, CaseIterable, Sendable {
  case killCreate = "kill-create"
  case killStart = "kill-start"
  case killExec = "kill-exec"
  case killDelete = "kill-delete"
  case bundleRemoved = "bundle-removed"
  case hookHang = "hook-hang"
  case hookTimeout = "hook-timeout"
  case stateFull = "state-full"
}

public struct FaultCase: Codable, Sendable {
  public var name: String
  public var delayMilliseconds: Double?
  public var runtimeOutcome: String
  public var stateAfter: String = ""
  public var listProblems: [String] = []
  public var forceDelete: String = ""
  public var leftovers: [Leak] = []
  public var passed: Bool { listProblems.isEmpty && leftovers.isEmpty && !stateAfter.hasPrefix("TORN") }
}

public struct FaultReport: Codable, Sendable {
  public var runtime: String
  public var cases: [FaultCase]
  public var passed: Bool
}

public enum FaultInjection {
  public static func run(
    runtime: RuntimeUnderTest, rounds: Int = 5, seed: UInt64? = nil,
    include: Set<FaultKind> = Set(FaultKind.allCases)
  ) throws(HarnessError) -> FaultReport {
    var random = SplitMix(seed: seed ?? UInt64.random(in: 0...UInt64.max))
    let environment = try StressEnvironment(runtime: runtime, label: "faults", timeout: 20)
    defer { _ = environment.tearDown() }
    let driver = environment.driver
    let work = environment.workDirectory
    var config = try environment.config(args: ["sleep", "100000"], cgroupsPath: environment.cgroupsPath("f"))
    let bundle = try environment.makeBundle(name: "faults", config: config)
    // Hook bundles are made up front, so the snapshot holds every bundle mount of ours.
    var hookBundles: [FaultKind: OCIBundle] = [:]
    for kind in [FaultKind.hookHang, .hookTimeout] where include.contains(kind) {
      var hooked = config
      // argv[0] carries the work directory, so the hook process is recognisably ours if it outlives the runtime.
      var hook: [String: Any] = ["path": "/bin/sleep", "args": [work + "/hanging-hook", "100000"]]
      if kind == .hookTimeout { hook["timeout"] = 1 }
      try kit { try hooked.set(["hooks", "createRuntime"], to: [hook]) }
      hookBundles[kind] = try environment.makeBundle(name: "hook-\(kind.rawValue)", config: hooked)
    }
    let fullRoot = include.contains(.stateFull) ? fillTinyFileSystem(at: work + "/full") : nil
    defer { umount2(work + "/full", Int32(MNT_DETACH)) }
    let before = environment.auditor.snapshot()
    var serial = 0
    var cases: [FaultCase] = []

    func prepare(_ id: String) throws(HarnessError) {
      try kit { try config.setCgroupsPath(environment.cgroupsPath(id)) }
      try kit { try config.write(to: bundle.configPath) }
    }
    /// The undisturbed duration of an operation, so kill points spread over its whole length.
    func typical(_ kind: FaultKind) throws(HarnessError) -> Double {
      serial += 1
      let id = "t\(serial)"
      try prepare(id)
      defer { _ = try? driver.delete(id: id, force: true) }
      return try kit { () -> Double in
        if kind != .killCreate { guard try driver.create(id: id, bundle: bundle.path).succeeded else { return 50 } }
        if kind == .killExec || kind == .killDelete { guard try driver.start(id: id).succeeded else { return 50 } }
        let result: ProcessResult
        switch kind {
        case .killCreate: result = try driver.create(id: id, bundle: bundle.path)
        case .killStart: result = try driver.start(id: id)
        case .killExec: result = try driver.exec(id: id, process: .args(["true"]))
        default: result = try driver.delete(id: id, force: true)
        }
        return max(2, result.wallMilliseconds)
      }
    }
    /// After a fault: what state/list say, then delete --force, then what is left (removed again for the next case).
    func conclude(_ fault: inout FaultCase, id: String, driver: RuntimeDriver, stateRoot: String) {
      usleep(100_000)
      fault.stateAfter = describeState(driver: driver, id: id)
      fault.listProblems = listProblems(driver: driver)
      let deleted = try? driver.delete(id: id, force: true)
      fault.forceDelete = deleted.map { $0.succeeded ? "ok" : "failed: \($0.summary)" } ?? "could not run"
      if let listed = try? driver.list(), let entries = listed.jsonObject() as? [[String: Any]],
        entries.contains(where: { $0["id"] as? String == id })
      {
        fault.listProblems.append("\(id) still listed after delete --force")
      }
      usleep(100_000)
      var auditor = environment.auditor
      auditor.stateRoot = stateRoot
      var snapshot = before
      snapshot.stateEntries = []
      fault.leftovers = auditor.audit(since: snapshot, settle: 2).filter { $0.kind != .fd }
      // Clean for the next case: only what is ours (our cgroups, our marked processes, our state root).
      for process in auditor.ownProcesses() { kill(process.pid, SIGKILL) }
      _ = environment.cleaner.remove(cgroupsPath: environment.cgroupsPath(id))
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? [] {
        try? FileManager.default.removeItem(atPath: stateRoot + "/" + entry)
      }
    }

    for kind in FaultKind.allCases where include.contains(kind) {
      switch kind {
      case .killCreate, .killStart, .killExec, .killDelete:
        let span = try typical(kind)
        for _ in 0..<rounds {
          serial += 1
          let id = "k\(serial)"
          try prepare(id)
          let ready = try kit { () -> Bool in
            if kind != .killCreate {
              guard try driver.create(id: id, bundle: bundle.path).succeeded else { return false }
            }
            if kind == .killExec || kind == .killDelete {
              guard try driver.start(id: id).succeeded else { return false }
            }
            return true
          }
          let delay = Double(random.next() % 1000) / 1000 * span * 1.2
          var fault = FaultCase(name: kind.rawValue, delayMilliseconds: (delay * 10).rounded() / 10, runtimeOutcome: "")
          if !ready {
            fault.runtimeOutcome = "setup failed"
          } else {
            let args: [String]
            switch kind {
            case .killCreate: args = ["create", "--bundle", bundle.path, id]
            case .killStart: args = ["start", id]
            case .killExec: args = ["exec", id, "true"]
            default: args = ["delete", "--force", id]
            }
            fault.runtimeOutcome = try killMidway(driver.command(args), afterMilliseconds: delay)
          }
          conclude(&fault, id: id, driver: driver, stateRoot: environment.stateRoot)
          cases.append(fault)
        }
      case .bundleRemoved:
        let span = try typical(.killCreate)
        for round in 0..<rounds {
          serial += 1
          let id = "b\(serial)"
          try kit { try config.setCgroupsPath(environment.cgroupsPath(id)) }
          let doomed = try environment.makeBundle(name: "doomed\(round)", config: config)
          let delay = Double(random.next() % 1000) / 1000 * span
          var fault = FaultCase(name: kind.rawValue, delayMilliseconds: (delay * 10).rounded() / 10, runtimeOutcome: "")
          let process = try kit { try SpawnedProcess.spawn(driver.command(["create", "--bundle", doomed.path, id])) }
          usleep(useconds_t(delay * 1000))
          var removal = ""
          do { try environment.removeBundle(doomed) } catch { removal = " (bundle removal: \(error.detail))" }
          fault.runtimeOutcome = outcome(process.wait(timeout: 20)) + removal
          conclude(&fault, id: id, driver: driver, stateRoot: environment.stateRoot)
          cases.append(fault)
        }
      case .hookHang, .hookTimeout:
        serial += 1
        let id = "h\(serial)"
        let hookBundle = hookBundles[kind]!
        try kit {
          var hooked = try ConfigTree(contentsOfFile: hookBundle.configPath)
          try hooked.setCgroupsPath(environment.cgroupsPath(id))
          try hooked.write(to: hookBundle.configPath)
        }
        var fault = FaultCase(name: kind.rawValue, delayMilliseconds: nil, runtimeOutcome: "")
        let process = try kit { try SpawnedProcess.spawn(driver.command(["create", "--bundle", hookBundle.path, id])) }
        // Without a timeout the runtime waits forever: give up after 3 s as a supervisor would, killing only it.
        let patience = kind == .hookHang ? 3.0 : 8.0
        if !ProcessRunner.waitForExit(pid: process.pid, timeout: patience) {
          kill(process.pid, SIGKILL)
          fault.runtimeOutcome = "still running after \(Int(patience)) s: SIGKILLed; "
        }
        fault.runtimeOutcome += outcome(process.wait(timeout: 5))
        conclude(&fault, id: id, driver: driver, stateRoot: environment.stateRoot)
        cases.append(fault)
      case .stateFull:
        cases.append(
          try stateFull(
            environment: environment, stateRoot: fullRoot, config: config, bundle: bundle,
            conclude: conclude))
      }
    }
    return FaultReport(runtime: runtime.name, cases: cases, passed: cases.allSatisfy(\.passed))
  }

  /// A 256 kB tmpfs filled to the last byte, with an empty directory for the state root: its path, or a skip reason.
  static func fillTinyFileSystem(at mountPoint: String) -> Result<String, HarnessError> {
    mkdir(mountPoint, 0o700)
    guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=256k,mode=0700") == 0 else {
      return .failure(
        HarnessError(.stress, operation: "mount tmpfs", path: mountPoint, message: String(cString: strerror(errno))))
    }
    mkdir(mountPoint + "/state", 0o700)
    let filler = open(mountPoint + "/filler", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
    if filler >= 0 {
      let chunk = [UInt8](repeating: 0x55, count: 4096)
      while chunk.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
      var byte: UInt8 = 0x55
      while write(filler, &byte, 1) > 0 {}
      close(filler)
    }
    return .success(mountPoint + "/state")
  }

  /// create with the state root on the full file system: it must fail cleanly, or succeed and clean up.
  static func stateFull(
    environment: StressEnvironment, stateRoot: Result<String, HarnessError>?, config: ConfigTree,
    bundle: OCIBundle,
    conclude: (inout FaultCase, String, RuntimeDriver, String) -> Void
  ) throws(HarnessError) -> FaultCase {
    var fault = FaultCase(name: FaultKind.stateFull.rawValue, delayMilliseconds: nil, runtimeOutcome: "")
    guard case .success(let stateRoot)? = stateRoot else {
      if case .failure(let error)? = stateRoot { fault.runtimeOutcome = "skipped: \(error)" }
      return fault
    }
    let full = RuntimeDriver(runtime: environment.driver.runtime, stateRoot: stateRoot, timeout: 20)
    let id = "full"
    var tree = config
    try kit { try tree.setCgroupsPath(environment.cgroupsPath(id)) }
    try kit { try tree.write(to: bundle.configPath) }
    fault.runtimeOutcome = (try? full.create(id: id, bundle: bundle.path)).map(outcome) ?? "could not run"
    conclude(&fault, id, full, stateRoot)
    return fault
  }

  /// Spawn, sleep, SIGKILL the runtime process alone (its helpers keep running, as after an OOM kill), reap it.
  static func killMidway(_ argv: [String], afterMilliseconds delay: Double) throws(HarnessError) -> String {
    let process = try kit { try SpawnedProcess.spawn(argv) }
    usleep(useconds_t(delay * 1000))
    let exitedAlready = ProcessRunner.waitForExit(pid: process.pid, timeout: 0.001)
    kill(process.pid, SIGKILL)
    let result = process.wait(timeout: 20)
    return exitedAlready ? "finished before the kill (\(outcome(result)))" : outcome(result)
  }

  static func outcome(_ result: ProcessResult) -> String {
    if result.timedOut { return "timed out" }
    if let signal = result.signal { return signal == SIGKILL ? "killed" : "died of signal \(signal)" }
    let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    return "exit \(result.exitCode ?? -1)" + (message.isEmpty ? "" : ": \(message.prefix(160))")
  }

  static func describeState(driver: RuntimeDriver, id: String) -> String {
    guard let result = try? driver.state(id: id) else { return "could not run state" }
    if result.signal != nil || result.timedOut || Crash.looksLikeCrash(result.stderrText) {
      return "TORN: crashed: \(result.summary)"
    }
    if result.succeeded {
      guard let object = result.jsonObject() as? [String: Any], let status = object["status"] as? String else {
        return "TORN: \(result.stdoutText.prefix(160))"
      }
      return "status \(status)"
    }
    let message = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    return message.isEmpty ? "TORN: error without a message" : "error: \(message.prefix(160))"
  }

  static func listProblems(driver: RuntimeDriver) -> [String] {
    guard let result = try? driver.list() else { return ["could not run list"] }
    guard result.succeeded else { return ["list failed: \(result.summary)"] }
    if result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "null" { return [] }  // runc: no containers
    guard let entries = result.jsonObject() as? [[String: Any]] else {
      return ["list is not a JSON array: \(result.stdoutText.prefix(160))"]
    }
    return entries.compactMap { entry in
      let status = entry["status"] as? String ?? ""
      let valid = ["creating", "created", "running", "paused", "stopped"].contains(status)
      return entry["id"] is String && valid ? nil : "corrupt entry: \(entry)"
    }
  }
}

/// A small seeded generator, so a failing fault schedule can be replayed.
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
