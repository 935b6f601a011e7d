// BenchReport: the results of one `drydock bench` run and their JSON form.
import DrydockKit
import Foundation

public enum BenchMode: String, Codable, Sendable, CaseIterable {
  case isolated
  case backToBack = "back-to-back"
}

public struct RuntimeRecord: Codable, Sendable {
  public var name: String
  public var path: String
  public var version: String
  /// Size of the runtime's executable: what a node image carries, and a proxy for page-cache cost per start.
  public var binaryBytes: Int?

  enum CodingKeys: String, CodingKey {
    case name, path, version
    case binaryBytes = "binary_bytes"
  }

  static func size(of path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  }
}

/// Where and how a run was measured. `measuredWith` says how wall, CPU and RSS were taken (the `measure`
/// launcher: the runtime's own process tree).
public struct BenchEnvironment: Codable, Sendable {
  public var kernel: String
  public var kernelVersion: String
  public var machine: String
  public var cgroupMode: String
  public var v1Controllers: [String]
  public var unifiedControllers: [String]
  public var cpus: Int
  public var loadBefore: [Double]
  public var loadAfter: [Double]
  public var capabilityBoundingSet: String
  public var runtimes: [RuntimeRecord]
  /// How the floor was built; nil with --no-floor.
  public var floor: String?
  /// ISO 8601.
  public var startedAt: String
  public var durationSeconds: Double
  public var runs: Int
  public var warmup: Int
  public var modes: [String]
  public var isolationSleepMilliseconds: Double
  public var rootfsStrategy: String
  public var seed: UInt64
  public var measuredWith: String
  /// "i/n" when this run was one shard of a larger one (drydock report merge puts them back together).
  public var shard: String?
  /// Runtimes the preflight found unable to run a trivial container here: not measured (nil: none).
  public var unusable: [RuntimeUsability]?
  /// The host the figures come from (cgroup mode, init, drydock VM and KVM/TCG): nil in reports of older builds.
  public var host: HostLabel?

  enum CodingKeys: String, CodingKey {
    case kernel, machine, cpus, runtimes, floor, runs, warmup, modes, seed, shard, unusable, host
    case kernelVersion = "kernel_version"
    case cgroupMode = "cgroup_mode"
    case v1Controllers = "v1_controllers"
    case unifiedControllers = "unified_controllers"
    case loadBefore = "load_before"
    case loadAfter = "load_after"
    case capabilityBoundingSet = "capability_bounding_set"
    case startedAt = "started_at"
    case durationSeconds = "duration_s"
    case isolationSleepMilliseconds = "isolation_sleep_ms"
    case rootfsStrategy = "rootfs_strategy"
    case measuredWith = "measured_with"
  }

  /// The environment now; `loadAfter` and `durationSeconds` are filled in after the run.
  public static func capture(runtimes: [RuntimeUnderTest], floor: String?, configuration: BenchConfiguration)
    -> BenchEnvironment
  {
    let host = HostInfo.current()
    return BenchEnvironment(
      kernel: host.kernelRelease, kernelVersion: host.kernelVersion, machine: host.machine,
      cgroupMode: host.cgroupMode.rawValue, v1Controllers: host.v1Controllers,
      unifiedControllers: host.unifiedControllers, cpus: host.cpus,
      loadBefore: host.loadAverage, loadAfter: [],
      capabilityBoundingSet: "0x" + String(host.capabilityBoundingSet, radix: 16),
      runtimes: runtimes.map {
        RuntimeRecord(name: $0.name, path: $0.path, version: $0.version, binaryBytes: RuntimeRecord.size(of: $0.path))
      },
      floor: floor, startedAt: ISO8601DateFormatter().string(from: Date()), durationSeconds: 0,
      runs: configuration.runs, warmup: configuration.warmup, modes: configuration.modes.map(\.rawValue),
      isolationSleepMilliseconds: configuration.isolationSleepMilliseconds,
      rootfsStrategy: configuration.rootfsStrategy.rawValue, seed: configuration.seed,
      measuredWith: "bench/floor/measure.c: CLOCK_MONOTONIC around posix_spawn+wait4, wait4 rusage (user+sys of the "
        + "runtime and the descendants it reaped, peak RSS of the largest); a container process left running or "
        + "reparented (create, run --detach) is not counted",
      host: HostLabel.current(host))
  }
}

/// One series: a runtime's samples for one scenario, phase and mode. The summaries are nil when n == 0.
public struct BenchResult: Codable, Sendable {
  public var runtime: String
  public var scenario: String
  public var phase: String
  public var mode: String
  public var n: Int
  public var failures: Int
  public var wallMilliseconds: Summary?
  public var cpuMilliseconds: Summary?
  public var rssKilobytes: Summary?
  /// The message of the first failed trial.
  public var firstFailure: String?
  /// Throughput scenarios: containers started and finished per second, one sample per batch.
  public var containersPerSecond: Summary?
  /// Lifecycle total: the peak memory charged to the container's cgroup (memory.max_usage_in_bytes on v1,
  /// memory.peak on v2), read after the process exited and before delete: kernel objects and page cache the
  /// runtime's setup left on the container's account, not only the workload's.
  public var cgroupMemoryKilobytes: Summary?
  /// Page faults (minor + major) and context switches (voluntary + involuntary) of the measured process tree.
  public var pageFaults: Summary?
  public var contextSwitches: Summary?
  /// Held scenarios ("held" phase): after `create` returned and before `start`, the summed Pss
  /// (/proc/PID/smaps_rollup) of every process in the container's cgroup, and the memory charged to that
  /// cgroup (memory.usage_in_bytes on v1, memory.current on v2), and how many processes there were.
  public var pssKilobytes: Summary?
  public var cgroupKilobytes: Summary?
  public var heldProcesses: Summary?
  /// Limit scenarios: the smallest memory limit that still started the container, with every bisection step.
  public var memoryLimit: MemoryLimitSearch?
  /// Checkpoint scenarios ("checkpoint" phase): KB of the CRIU image files (*.img) of one dump.
  public var imageKilobytes: Summary?

  public init(
    runtime: String, scenario: String, phase: String, mode: String, n: Int, failures: Int,
    wallMilliseconds: Summary?, cpuMilliseconds: Summary?, rssKilobytes: Summary?, firstFailure: String? = nil
  ) {
    self.runtime = runtime
    self.scenario = scenario
    self.phase = phase
    self.mode = mode
    self.n = n
    self.failures = failures
    self.wallMilliseconds = wallMilliseconds
    self.cpuMilliseconds = cpuMilliseconds
    self.rssKilobytes = rssKilobytes
    self.firstFailure = firstFailure
  }

  enum CodingKeys: String, CodingKey {
    case runtime, scenario, phase, mode, n, failures
    case wallMilliseconds = "wall_ms"
    case cpuMilliseconds = "cpu_ms"
    case rssKilobytes = "rss_kb"
    case firstFailure = "first_failure"
    case containersPerSecond = "containers_per_s"
    case cgroupMemoryKilobytes = "cgroup_memory_kb"
    case pageFaults = "page_faults"
    case contextSwitches = "context_switches"
    case pssKilobytes = "pss_kb"
    case cgroupKilobytes = "cgroup_kb"
    case heldProcesses = "held_processes"
    case memoryLimit = "memory_limit"
    case imageKilobytes = "image_kb"
  }
}

public struct BenchReport: Codable, Sendable {
  public var environment: BenchEnvironment
  public var results: [BenchResult]
  /// The comparison with a stored baseline, when the run was gated (--baseline).
  public var gate: GateReport?
  /// Where each runtime stood against another in this run, when checked (--levels; Levels.swift).
  public var levels: [LevelFinding]?

  public init(environment: BenchEnvironment, results: [BenchResult], gate: GateReport? = nil) {
    self.environment = environment
    self.results = results
    self.gate = gate
  }

  /// A stored report; a HarnessError(.bench, operation: "read bench report") naming the file when it cannot be read.
  public static func load(_ path: String) throws -> BenchReport {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw HarnessError(.bench, operation: "read bench report", path: path, message: "cannot read file")
    }
    do { return try JSONDecoder().decode(BenchReport.self, from: data) } catch {
      throw HarnessError(.bench, operation: "parse bench report", path: path, message: "\(error)")
    }
  }

  /// Sorted keys, pretty-printed.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do { return try encoder.encode(self) } catch {
      throw HarnessError(.bench, operation: "encode report", message: "\(error)")
    }
  }
}
