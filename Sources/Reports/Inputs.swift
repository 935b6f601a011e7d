// Inputs: the result files `drydock report` reads, and how it finds them.
//
// Files are recognised by content, not by name, so a CI job may rename or nest them (one artifact
// directory per shard, say): a JSON object with "environment" and "results" is a bench report; one with
// "runtimes" whose entries have "cases" is a conformance.json; one with "runtime" and "syscalls" or
// "total_syscalls" (alone, in an array, or under "traces"/"results") is a trace. Anything else is ignored,
// including a previous report.json.
import Bench
import DrydockKit
import Foundation

public struct ConformanceCaseEntry: Codable, Sendable, Equatable {
  public var id: String
  public var area: String
  public var status: String
  public var requirement: String
  public var level: String
  public var message: String
  public var text: String?
  public var seconds: Double?

  public init(
    id: String, area: String, status: String, requirement: String, level: String, message: String,
    text: String? = nil, seconds: Double? = nil
  ) {
    self.id = id
    self.area = area
    self.status = status
    self.requirement = requirement
    self.level = level
    self.message = message
    self.text = text
    self.seconds = seconds
  }
}

public struct ConformanceRuntime: Codable, Sendable, Equatable {
  public var name: String
  public var path: String
  public var version: String
  public var cases: [ConformanceCaseEntry]
  /// Set when the preflight found the runtime unable to run a trivial container here (its cases are skips).
  public var unusable: RuntimeUsability?

  public init(
    name: String, path: String, version: String, cases: [ConformanceCaseEntry], unusable: RuntimeUsability? = nil
  ) {
    self.name = name
    self.path = path
    self.version = version
    self.cases = cases
    self.unusable = unusable
  }

  public func count(_ status: String) -> Int { cases.filter { $0.status == status }.count }

  enum CodingKeys: String, CodingKey {
    case name, path, version, cases, summary, usable
    case unusableReason = "unusable_reason"
    case hostFix = "host_fix"
    case globalArgs = "global_args"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
    version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
    cases = try c.decode([ConformanceCaseEntry].self, forKey: .cases)
    if try c.decodeIfPresent(Bool.self, forKey: .usable) == false {
      unusable = RuntimeUsability(
        name: name, path: path, version: version,
        globalArgs: try c.decodeIfPresent([String].self, forKey: .globalArgs) ?? [],
        usable: false, reason: try c.decodeIfPresent(String.self, forKey: .unusableReason),
        hostFix: try c.decodeIfPresent(String.self, forKey: .hostFix))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(path, forKey: .path)
    try c.encode(version, forKey: .version)
    try c.encode(["pass": count("pass"), "fail": count("fail"), "skip": count("skip")], forKey: .summary)
    try c.encode(cases, forKey: .cases)
    if let unusable {
      try c.encode(false, forKey: .usable)
      try c.encodeIfPresent(unusable.reason, forKey: .unusableReason)
      try c.encodeIfPresent(unusable.hostFix, forKey: .hostFix)
      try c.encode(unusable.globalArgs, forKey: .globalArgs)
    }
  }
}

/// The shape Sources/Conformance/Reports.swift writes; its "summary" is recomputed from the cases.
public struct ConformanceDoc: Codable, Sendable, Equatable {
  public var generatedAt: String
  public var caseCount: Int
  public var wallSeconds: Double
  public var runtimes: [ConformanceRuntime]
  /// Where it ran (nil in files of older builds).
  public var host: HostLabel?

  public init(generatedAt: String, caseCount: Int, wallSeconds: Double, runtimes: [ConformanceRuntime]) {
    self.generatedAt = generatedAt
    self.caseCount = caseCount
    self.wallSeconds = wallSeconds
    self.runtimes = runtimes
  }

  enum CodingKeys: String, CodingKey { case generatedAt, caseCount, wallSeconds, runtimes, host }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    runtimes = try c.decode([ConformanceRuntime].self, forKey: .runtimes)
    generatedAt = try c.decodeIfPresent(String.self, forKey: .generatedAt) ?? ""
    caseCount = Int(try c.decodeIfPresent(Double.self, forKey: .caseCount) ?? 0)
    wallSeconds = try c.decodeIfPresent(Double.self, forKey: .wallSeconds) ?? 0
    host = try c.decodeIfPresent(HostLabel.self, forKey: .host)
  }

  /// Case ids in first-seen order across runtimes (a shard or a failed runtime may lack some).
  public var caseIDs: [String] {
    var seen = Set<String>()
    var ids: [String] = []
    for runtime in runtimes { for c in runtime.cases where seen.insert(c.id).inserted { ids.append(c.id) } }
    return ids
  }
}

public struct TraceRecord: Codable, Sendable, Equatable {
  public var runtime: String
  public var scenario: String?
  public var phase: String
  public var totalSyscalls: Int
  public var syscalls: [String: Int]

  enum CodingKeys: String, CodingKey {
    case runtime, scenario, phase, syscalls
    case totalSyscalls = "total_syscalls"
  }

  public init(runtime: String, scenario: String? = nil, phase: String, totalSyscalls: Int, syscalls: [String: Int]) {
    self.runtime = runtime
    self.scenario = scenario
    self.phase = phase
    self.totalSyscalls = totalSyscalls
    self.syscalls = syscalls
  }

  /// Accepts syscalls as {"name": count}, {"name": {"count": n, …}} or [{"name"|"syscall": …, "count": n}].
  /// The tolerant reader described at the top of this file.
  public static func parse(_ object: Any) -> [TraceRecord] {
    if let list = object as? [Any] { return list.flatMap { parse($0) } }
    guard let dict = object as? [String: Any] else { return [] }
    for key in ["traces", "results"] { if let nested = dict[key] as? [Any] { return nested.flatMap { parse($0) } } }
    guard let runtime = dict["runtime"] as? String, dict["syscalls"] != nil || dict["total_syscalls"] != nil else {
      return []
    }
    var counts: [String: Int] = [:]
    if let map = dict["syscalls"] as? [String: Any] {
      for (name, value) in map {
        if let n = integer(value) {
          counts[name] = n
        } else if let nested = value as? [String: Any], let n = integer(nested["count"]) {
          counts[name] = n
        }
      }
    } else if let list = dict["syscalls"] as? [[String: Any]] {
      for entry in list {
        if let name = (entry["name"] ?? entry["syscall"]) as? String, let n = integer(entry["count"]) {
          counts[name, default: 0] += n
        }
      }
    }
    let total = integer(dict["total_syscalls"]) ?? counts.values.reduce(0, +)
    return [
      TraceRecord(
        runtime: runtime, scenario: dict["scenario"] as? String,
        phase: (dict["phase"] as? String) ?? "run", totalSyscalls: total, syscalls: counts)
    ]
  }

  static func integer(_ value: Any?) -> Int? {
    if let n = value as? Int { return n }
    if let d = value as? Double, d.isFinite { return Int(d) }
    if let n = value as? NSNumber { return n.intValue }
    return nil
  }
}

public struct ReportInputs: Sendable {
  public var bench: [BenchReport] = []
  public var conformance: [ConformanceDoc] = []
  public var traces: [TraceRecord] = []
  /// What was read, for report.json.
  public var files: [String] = []

  public init(
    bench: [BenchReport] = [], conformance: [ConformanceDoc] = [], traces: [TraceRecord] = [], files: [String] = []
  ) {
    self.bench = bench
    self.conformance = conformance
    self.traces = traces
    self.files = files
  }

  mutating func add(_ other: ReportInputs) {
    bench += other.bench
    conformance += other.conformance
    traces += other.traces
    files += other.files
  }

  /// A HarnessError(.report) naming the input that could not be read or parsed.
  public static func load(directories: [String]) throws -> ReportInputs {
    var inputs = ReportInputs()
    for directory in directories {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
        throw HarnessError(.report, operation: "read inputs", path: directory, message: "no such file or directory")
      }
      // A single file is accepted too: `--in bench.json` is what one types after `drydock bench --json`.
      let paths: [String]
      if isDirectory.boolValue {
        let walker = FileManager.default.enumerator(atPath: directory)
        var found: [String] = []
        while let relative = walker?.nextObject() as? String {
          if relative.hasSuffix(".json") { found.append(directory + "/" + relative) }
        }
        paths = found.sorted()
      } else {
        paths = [directory]
      }
      for path in paths {
        guard let data = FileManager.default.contents(atPath: path) else {
          throw HarnessError(.report, operation: "read inputs", path: path, message: "cannot read file")
        }
        inputs.add(try classify(data, path: path))
      }
    }
    return inputs
  }

  /// One file's contribution.
  public static func classify(_ data: Data, path: String) throws -> ReportInputs {
    guard let object = try? JSONSerialization.jsonObject(with: data) else { return ReportInputs() }
    if let dict = object as? [String: Any] {
      if dict["environment"] != nil && dict["results"] != nil {
        do {
          return ReportInputs(bench: [try JSONDecoder().decode(BenchReport.self, from: data)], files: [path])
        } catch {
          throw HarnessError(.report, operation: "parse bench report", path: path, message: "\(error)")
        }
      }
      if let runtimes = dict["runtimes"] as? [[String: Any]], runtimes.contains(where: { $0["cases"] != nil }) {
        do {
          return ReportInputs(conformance: [try JSONDecoder().decode(ConformanceDoc.self, from: data)], files: [path])
        } catch {
          throw HarnessError(.report, operation: "parse conformance.json", path: path, message: "\(error)")
        }
      }
      if dict["verdict"] != nil && dict["generated_at"] != nil { return ReportInputs() }  // a report.json
    }
    let traces = TraceRecord.parse(object)
    return traces.isEmpty ? ReportInputs() : ReportInputs(traces: traces, files: [path])
  }
}
