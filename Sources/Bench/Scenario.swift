// Scenario: what one benchmark measures, loaded from bench/scenarios/*.json.
import DrydockKit
import Foundation

public enum ScenarioKind: String, Codable, Sendable, CaseIterable {
  case run, lifecycle, exec, state, kill, throughput, held, limit, checkpoint

  /// What each trial times: "run"; "create", "start", "delete", "total"; "exec"; "state"; "kill";
  /// "batch" (`batch` foreground runs spread over `concurrency` workers); held: "create" (the call) and "held"
  /// (Pss of the processes in the container's cgroup and the memory charged to it, between create and start);
  /// limit: "limit" (one bisection per runtime, see Memory.swift); checkpoint: "checkpoint" and "restore" of a
  /// running container, with the image size (CheckpointTrial.swift).
  public var phases: [String] {
    switch self {
    case .run: return ["run"]
    case .lifecycle: return ["create", "start", "delete", "total"]
    case .exec: return ["exec"]
    case .state: return ["state"]
    case .kill: return ["kill"]
    case .throughput: return ["batch"]
    case .held: return ["create", "held"]
    case .limit: return ["limit"]
    case .checkpoint: return ["checkpoint", "restore"]
    }
  }
}

public struct Scenario: Codable, Sendable, Hashable {
  public var name: String
  public var kind: ScenarioKind
  public var description: String
  public var containerArgs: [String]
  public var execArgs: [String]?
  public var signal: String?
  public var floor: Bool?
  /// false: the container gets no network namespace (the template has one); the with/without pair shows what
  /// the namespace costs each runtime (~1 ms of kernel work here).
  public var network: Bool?
  /// A linux.seccomp object (path relative to the repository) every runtime applies.
  public var seccompProfile: String?
  /// true: every runtime gets --systemd-cgroup and cgroupsPath system.slice:<prefix>:<id> (its scope made and
  /// stopped through systemd's D-Bus API); needs systemd as the host's init (unmetNeed).
  public var systemdCgroup: Bool?
  /// Throughput: parallel workers; 0 or absent = the host's CPUs.
  public var concurrency: Int?
  /// Throughput: runs per batch (default 20).
  public var batch: Int?
  /// At most this many measured runs (a throughput trial is a whole batch).
  public var runs: Int?
  /// The modes it runs in (default: every mode asked for).
  public var modes: [String]?
  /// Limit: the bisection's bounds (default 65536 and 32 KiB, powers of two).
  public var limitMaxKB: Int?
  public var limitMinKB: Int?
  /// Limit: consecutive successful runs for a limit to count as working (default 3).
  public var limitRepeats: Int?
  /// Limit: steps per octave once the octave is found (default 8: 1/8-octave resolution).
  public var limitSteps: Int?
  /// Run only when named with --scenario (never in the default set): checkpoint needs CRIU, which `criu check`
  /// must accept on this kernel, and takes seconds per trial.
  public var explicit: Bool?

  public init(
    name: String, kind: ScenarioKind, description: String, containerArgs: [String],
    execArgs: [String]? = nil, signal: String? = nil, floor: Bool? = nil, network: Bool? = nil
  ) {
    self.name = name
    self.kind = kind
    self.description = description
    self.containerArgs = containerArgs
    self.execArgs = execArgs
    self.signal = signal
    self.floor = floor
    self.network = network
  }

  /// The floor has no create/start split, so it takes part only in run and limit scenarios.
  public var runsFloor: Bool { (floor ?? false) && (kind == .run || kind == .limit) }

  public func workers(cpus: Int) -> Int { Swift.max(1, (concurrency ?? 0) > 0 ? concurrency! : cpus) }
  public var batchSize: Int { Swift.max(1, batch ?? 20) }
}

public enum ScenarioLoader {
  /// <repository>/bench/scenarios.
  public static func defaultDirectory() -> String? {
    BundleFactory.repositoryRoot().map { $0 + "/bench/scenarios" }
  }

  /// Every *.json, sorted by name; a HarnessError naming a bad file.
  public static func load(directory: String) throws -> [Scenario] {
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
      throw HarnessError(.bench, operation: "read scenarios", path: directory, message: "\(error)")
    }
    var scenarios: [Scenario] = []
    for name in names.sorted() where name.hasSuffix(".json") {
      let path = directory + "/" + name
      guard let data = FileManager.default.contents(atPath: path) else {
        throw HarnessError(.bench, operation: "read scenario", path: path, message: "cannot read file")
      }
      do { scenarios.append(try JSONDecoder().decode(Scenario.self, from: data)) } catch {
        throw HarnessError(.bench, operation: "parse scenario", path: path, message: "\(error)")
      }
      if scenarios.last!.containerArgs.isEmpty {
        throw HarnessError(.bench, operation: "parse scenario", path: path, message: "containerArgs is empty")
      }
    }
    return scenarios
  }

  /// sd_booted()'s test: the host's init is systemd.
  public static var hostRunsSystemd: Bool { FileManager.default.fileExists(atPath: "/run/systemd/system") }

  /// nil when this host can run the scenario, else why not (a systemd scenario on a host without systemd).
  public static func unmetNeed(_ scenario: Scenario, hostRunsSystemd: Bool = ScenarioLoader.hostRunsSystemd) -> String?
  {
    scenario.systemdCgroup == true && !hostRunsSystemd
      ? "\(scenario.name) needs systemd as the host's init (no /run/systemd/system here): run it in drydock vm --init systemd"
      : nil
  }

  /// The scenarios named, in the order asked; none named: all but the explicit ones, in ScenarioKind's order,
  /// then by name.
  public static func select(_ names: [String], from scenarios: [Scenario]) throws -> [Scenario] {
    if names.isEmpty {
      let order = ScenarioKind.allCases
      return scenarios.filter { $0.explicit != true }.sorted {
        (order.firstIndex(of: $0.kind)!, $0.name) < (order.firstIndex(of: $1.kind)!, $1.name)
      }
    }
    return try names.map { name in
      guard let found = scenarios.first(where: { $0.name == name }) else {
        throw HarnessError(
          .bench, operation: "select scenario",
          message: "no scenario named '\(name)' (have: \(scenarios.map(\.name).joined(separator: ", ")))")
      }
      return found
    }
  }
}
