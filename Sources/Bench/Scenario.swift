// Scenario: what one benchmark measures, loaded from bench/scenarios/*.json.
//
// Public API:
//   enum ScenarioKind: String, Codable, Sendable { case run, lifecycle, exec, state, kill, throughput, held, limit, checkpoint }
//     phases: [String]   what each trial times ("run"; "create","start","delete","total"; "exec"; "state"; "kill";
//                        "batch": `batch` foreground runs spread over `concurrency` workers; held: "create" (the
//                        call) and "held" (Pss of the processes in the container's cgroup and the memory charged
//                        to it, between create and start); limit: "limit" (one bisection per runtime, see Memory.swift);
//                        checkpoint: "checkpoint" and "restore" of a running container, with the image size (CheckpointTrial.swift))
//   struct Scenario: Codable, Sendable, Hashable
//     name, kind, description; containerArgs: [String]; execArgs: [String]? ; signal: String? ; floor: Bool?
//     concurrency: Int? (throughput: parallel workers; 0 or absent = the host's CPUs), batch: Int? (default 20)
//     runs: Int?       at most this many measured runs (a throughput trial is a whole batch)
//     modes: [String]? the modes it runs in (default: every mode asked for)
//     workers(cpus:) -> Int ; batchSize -> Int
//     network: Bool?   false: the container gets no network namespace (the template has one); the with/without
//                      pair shows what the namespace costs each runtime (~1 ms of kernel work here)
//     seccompProfile: String?   a linux.seccomp object (path relative to the repository) every runtime applies
//     systemdCgroup: Bool?      true: every runtime gets --systemd-cgroup and cgroupsPath system.slice:<prefix>:<id>
//                               (its scope made and stopped through systemd's D-Bus API); needs systemd as the
//                               host's init (unmetNeed)
//     limitMaxKB, limitMinKB: Int?  limit: the bisection's bounds (default 65536 and 32 KiB, powers of two)
//     limitRepeats: Int?            limit: consecutive successful runs for a limit to count as working (default 3)
//     limitSteps: Int?              limit: steps per octave once the octave is found (default 8: 1/8-octave resolution)
//     explicit: Bool?   true: run only when named (--scenario), never in the default set (checkpoint: needs CRIU)
//     runsFloor: Bool   (floor ?? false) and kind is .run or .limit (the floor has no create/start split: no .held)
//   enum ScenarioLoader
//     static func defaultDirectory() -> String?              <repository>/bench/scenarios
//     static func load(directory:) throws -> [Scenario]       every *.json, sorted by name; HarnessError on a bad file
//     static func select(_ names: [String], from: [Scenario]) throws -> [Scenario]   in the order asked; [] = all,
//        in the canonical order run, lifecycle, exec, state, kill
//     static func unmetNeed(_ scenario: Scenario, hostRunsSystemd: Bool = …) -> String?   why this host cannot run it
import DrydockKit
import Foundation

public enum ScenarioKind: String, Codable, Sendable, CaseIterable {
  case run, lifecycle, exec, state, kill, throughput, held, limit, checkpoint

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
  public var network: Bool?
  public var seccompProfile: String?
  public var systemdCgroup: Bool?
  public var concurrency: Int?
  public var batch: Int?
  public var runs: Int?
  public var modes: [String]?
  public var limitMaxKB: Int?
  public var limitMinKB: Int?
  public var limitRepeats: Int?
  public var limitSteps: Int?
  /// Run only when named with --scenario (never in the default set): checkpoint needs CRIU, which `criu check`
  /// must accept on this kernel, and takes seconds per trial.
  public var explicit: Bool?

  public init(name: String, kind: ScenarioKind, description: String, containerArgs: [String],
              execArgs: [String]? = nil, signal: String? = nil, floor: Bool? = nil, network: Bool? = nil) {
    self.name = name; self.kind = kind; self.description = description; self.containerArgs = containerArgs
    self.execArgs = execArgs; self.signal = signal; self.floor = floor; self.network = network
  }

  public var runsFloor: Bool { (floor ?? false) && (kind == .run || kind == .limit) }

  public func workers(cpus: Int) -> Int { Swift.max(1, (concurrency ?? 0) > 0 ? concurrency! : cpus) }
  public var batchSize: Int { Swift.max(1, batch ?? 20) }
}

public enum ScenarioLoader {
  public static func defaultDirectory() -> String? {
    BundleFactory.repositoryRoot().map { $0 + "/bench/scenarios" }
  }

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
  public static func unmetNeed(_ scenario: Scenario, hostRunsSystemd: Bool = ScenarioLoader.hostRunsSystemd) -> String? {
    scenario.systemdCgroup == true && !hostRunsSystemd
      ? "\(scenario.name) needs systemd as the host's init (no /run/systemd/system here): run it in drydock vm --init systemd"
      : nil
  }

  public static func select(_ names: [String], from scenarios: [Scenario]) throws -> [Scenario] {
    if names.isEmpty {
      let order = ScenarioKind.allCases
      return scenarios.filter { $0.explicit != true }.sorted {
        (order.firstIndex(of: $0.kind)!, $0.name) < (order.firstIndex(of: $1.kind)!, $1.name)
      }
    }
    return try names.map { name in
      guard let found = scenarios.first(where: { $0.name == name }) else {
        throw HarnessError(.bench, operation: "select scenario", message: "no scenario named '\(name)' (have: \(scenarios.map(\.name).joined(separator: ", ")))")
      }
      return found
    }
  }
}
