// Trials: what one iteration of each scenario does for one participant (runtime or floor).
// Internal to Bench; BenchRunner calls prepare → trial (warmup + runs times) → tearDown.
// Only the runtime calls named by the scenario's phases are timed; setup and cleanup calls are not.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

final class TrialContext {
  let scenario: Scenario
  let mode: BenchMode
  let participant: Participant
  let index: Int
  let bundle: OCIBundle
  var config: ConfigTree
  var serviceID: String?  // the long-running container of exec/state
  var workerBundles: [OCIBundle] = []  // throughput: one bundle (so one cgroup path) per parallel worker
  var setupFailure: String?

  init(scenario: Scenario, mode: BenchMode, participant: Participant, index: Int, bundle: OCIBundle, config: ConfigTree)
  {
    self.scenario = scenario
    self.mode = mode
    self.participant = participant
    self.index = index
    self.bundle = bundle
    self.config = config
  }

  /// Container ids: short, unique within the run, allowed by every runtime ([A-Za-z0-9_.-]).
  func containerID(_ suffix: String) -> String {
    "dd\(index)-\(scenario.name)-\(mode == .isolated ? "iso" : "b2b")-\(suffix)"
  }
}

extension BenchRunner {
  /// A scenario's seccomp profile: a linux.seccomp JSON object, the path relative to the repository.
  public static func seccompObject(_ path: String) throws -> Any {
    let full = path.hasPrefix("/") ? path : (BundleFactory.repositoryRoot() ?? ".") + "/" + path
    guard let data = FileManager.default.contents(atPath: full),
      let object = try? JSONSerialization.jsonObject(with: data), object is [String: Any]
    else {
      throw HarnessError(.bench, operation: "read seccomp profile", path: full, message: "not a readable JSON object")
    }
    return object
  }

  func prepare(scenario: Scenario, mode: BenchMode, participant: Participant, index: Int) throws -> TrialContext {
    guard let factory else { throw HarnessError(.bench, operation: "prepare", message: "no bundle factory") }
    do {
      var config = try factory.template()
      try config.setArgs(scenario.containerArgs)
      if scenario.network == false { try config.removeNamespace("network") }
      if let profile = scenario.seccompProfile {
        try config.set(["linux", "seccomp"], to: try Self.seccompObject(profile))
      }
      try config.setCgroupsPath(cgroupPrefix + "/unused")
      let name = "\(index)-\(scenario.name)-\(mode == .isolated ? "iso" : "b2b")"
      let bundle = try factory.makeBundle(name: name, config: config)
      let context = TrialContext(
        scenario: scenario, mode: mode, participant: participant, index: index,
        bundle: bundle, config: config)
      if scenario.kind == .throughput {
        for worker in 0..<scenario.workers(cpus: HostInfo.current().cpus) {
          context.workerBundles.append(try factory.makeBundle(name: "\(name)-w\(worker)", config: config))
        }
      }
      if case .runtime(let driver) = participant, scenario.kind == .exec || scenario.kind == .state {
        let id = context.containerID("svc")
        try writeConfig(context, id: id)
        let started = try driver.run(id: id, bundle: bundle.path, detach: true)
        if started.succeeded { context.serviceID = id } else { context.setupFailure = "setup: " + started.summary }
      }
      return context
    } catch let error as HarnessError {
      throw error.relabeled(.bench)
    }
  }

  func tearDown(_ context: TrialContext) {
    if case .runtime(let driver) = context.participant, let id = context.serviceID {
      _ = try? driver.kill(id: id, signal: "KILL")
      _ = try? driver.delete(id: id, force: true)
    }
    try? factory?.removeBundle(context.bundle)
    for bundle in context.workerBundles { try? factory?.removeBundle(bundle) }
  }

  func trial(_ context: TrialContext, iteration: Int) -> TrialOutcome {
    if let failure = context.setupFailure { return .failed(failure) }
    let id = context.containerID(String(iteration))
    do {
      switch context.participant {
      case .floor(let floor):
        isolationPause(context)
        let result = try ProcessRunner.run(
          [measurePath, usageFile(context.index)]
            + Floor.command(floor: floor, rootfs: context.bundle.rootfs, cgroupsPath: cgroupPrefix + "/" + id),
          timeout: configuration.timeoutSeconds)
        return result.succeeded ? .measured([try usage("run", context)]) : .failed(result.summary)
      case .runtime(let driver):
        return try runtimeTrial(context, driver: driver, id: id)
      }
    } catch {
      return .failed("\(error)")
    }
  }

  private func runtimeTrial(_ context: TrialContext, driver: RuntimeDriver, id: String) throws -> TrialOutcome {
    let bundle = context.bundle.path
    switch context.scenario.kind {
    case .run:
      try writeConfig(context, id: id)
      isolationPause(context)
      let result = try driver.run(id: id, bundle: bundle)
      let measured = result.succeeded ? try usage("run", context) : nil
      _ = try? driver.delete(id: id, force: true)  // a foreground run deletes its container; this is insurance
      return measured.map { .measured([$0]) } ?? .failed(result.summary)

    case .lifecycle:
      try writeConfig(context, id: id)
      let pidFile = context.bundle.path + "/\(id).pid"
      defer { unlink(pidFile) }
      isolationPause(context)
      let create = try driver.create(id: id, bundle: bundle, pidFile: pidFile)
      guard create.succeeded else { return fail(create, driver: driver, id: id) }
      let created = try usage("create", context)
      let start = try driver.start(id: id)
      guard start.succeeded else { return fail(start, driver: driver, id: id) }
      let started = try usage("start", context)
      guard waitForContainerExit(pidFile: pidFile) else {
        _ = try? driver.delete(id: id, force: true)
        return .failed("\(id): the container did not exit within \(configuration.timeoutSeconds) s")
      }
      let charged = Self.cgroupMemoryPeak(cgroupPrefix + "/" + id)
      let delete = try driver.delete(id: id)
      guard delete.succeeded else { return fail(delete, driver: driver, id: id) }
      let steps = [created, started, try usage("delete", context)]
      var total = Measurement(
        phase: "total", wall: steps.map(\.wall).reduce(0, +),
        cpu: steps.map(\.cpu).reduce(0, +), rss: steps.map(\.rss).max() ?? 0)
      total.cgroupMemory = charged
      if steps.allSatisfy({ $0.faults != nil && $0.switches != nil }) {
        total.faults = steps.compactMap(\.faults).reduce(0, +)
        total.switches = steps.compactMap(\.switches).reduce(0, +)
      }
      return .measured(steps + [total])

    case .exec:
      guard let service = context.serviceID else { return .failed("no running container") }
      isolationPause(context)
      let result = try driver.exec(id: service, process: .args(context.scenario.execArgs ?? ["/bin/true"]))
      return result.succeeded ? .measured([try usage("exec", context)]) : .failed(result.summary)

    case .state:
      guard let service = context.serviceID else { return .failed("no running container") }
      isolationPause(context)
      let result = try driver.state(id: service)
      return result.succeeded ? .measured([try usage("state", context)]) : .failed(result.summary)

    case .throughput:
      return try throughputTrial(context, driver: driver, id: id)

    case .held:
      return try heldTrial(context, driver: driver, id: id)

    case .limit:
      // A bisection, not a series of trials: BenchRunner.runLimitScenario drives it (Memory.swift).
      return .failed("limit scenarios are not run trial by trial")

    case .checkpoint:
      return try checkpointTrial(context, driver: driver, id: id)

    case .kill:
      try writeConfig(context, id: id)
      let pidFile = context.bundle.path + "/\(id).pid"
      defer { unlink(pidFile) }
      let started = try driver.run(id: id, bundle: bundle, detach: true, pidFile: pidFile)
      guard started.succeeded else { return fail(started, driver: driver, id: id) }
      isolationPause(context)
      let result = try driver.kill(id: id, signal: context.scenario.signal ?? "KILL")
      let measured = result.succeeded ? try usage("kill", context) : nil
      _ = waitForContainerExit(pidFile: pidFile)
      _ = try? driver.delete(id: id, force: true)
      return measured.map { .measured([$0]) } ?? .failed(result.summary)
    }
  }

  /// Peak bytes charged to the container's memory cgroup, in KB: v1 memory.max_usage_in_bytes, else v2
  /// memory.peak (kernel 5.19+); nil when neither exists (no memory controller, or the runtime put it elsewhere).
  static func cgroupMemoryPeak(_ cgroupsPath: String) -> Double? {
    for file in [
      "/sys/fs/cgroup/memory\(cgroupsPath)/memory.max_usage_in_bytes", "/sys/fs/cgroup\(cgroupsPath)/memory.peak",
    ] {
      if let text = try? String(contentsOfFile: file, encoding: .utf8),
        let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        return bytes / 1024
      }
    }
    return nil
  }

  /// The same template for every runtime; only the cgroup path (and so the id) changes per container.
  func writeConfig(_ context: TrialContext, id: String) throws {
    do {
      try context.config.setCgroupsPath(
        context.scenario.systemdCgroup == true ? systemdCgroupsPath(id) : cgroupPrefix + "/" + id)
      try context.config.write(to: context.bundle.configPath)
    } catch let error as HarnessError { throw error.relabeled(.bench) }
  }

  /// What `measure` recorded for the call just made (read before the next call overwrites it).
  func usage(_ phase: String, _ context: TrialContext) throws -> Measurement {
    let file = usageFile(context.index)
    defer { unlink(file) }
    guard let usage = MeasuredUsage.read(file) else {
      throw HarnessError(
        .bench, operation: "read usage", path: file, message: "measure wrote no usage line for \(phase)")
    }
    return Measurement(phase, usage)
  }

  func fail(_ result: ProcessResult, driver: RuntimeDriver, id: String) -> TrialOutcome {
    _ = try? driver.delete(id: id, force: true)
    return .failed(result.summary)
  }

  /// In isolated mode the cgroup v1 attach must find the system quiet, as a lone container start does.
  func isolationPause(_ context: TrialContext) {
    guard context.mode == .isolated, configuration.isolationSleepMilliseconds > 0 else { return }
    var request = timespec(
      tv_sec: Int(configuration.isolationSleepMilliseconds / 1000),
      tv_nsec: Int(configuration.isolationSleepMilliseconds.truncatingRemainder(dividingBy: 1000) * 1e6))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
  }

  /// Wait on a pidfd for the container process named in the pid file (not our child, so no wait4).
  func waitForContainerExit(pidFile: String) -> Bool {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else { return false }
    return ProcessRunner.waitForExit(pid: pid, timeout: configuration.timeoutSeconds)
  }
}
