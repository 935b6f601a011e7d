// `drydock conformance`: runs the declarative conformance cases against one or more runtimes and writes
// conformance.json, one TAP file per runtime, junit.xml, matrix.md/.html and coverage.md into --out.
import ArgumentParser
import Conformance
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct ConformanceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "conformance",
    abstract: "Run the OCI conformance cases against runtimes driven through their runc-style CLI.")

  @OptionGroup var runtimeSelection: RuntimeSelection

  @Option(help: "Directory of case files (default: <repository>/conformance/cases).")
  var cases: String?

  @Option(help: "Only cases whose id (or area/id) matches this glob (repeatable: any of them).")
  var filter: [String] = []

  @Option(help: "Cases run in parallel.")
  var jobs: Int = 2

  @Option(help: "Directory for the reports.")
  var out: String = "conformance-out"

  @Option(help: "Exit non-zero when this runtime (path or name) fails a MUST case.")
  var gate: String?

  @Option(help: "Seconds one runtime call may take before it is killed (a hanging runtime costs this per case).")
  var callTimeout: Double = 20

  @OptionGroup var shardOption: ShardOption

  @Flag(help: "Fail when any runtime cannot run a trivial container here (default: only the --gate runtime must).")
  var requireAll = false

  @Flag(help: "Print every step of every case with its duration.")
  var verbose = false

  @Flag(help: "Only load and validate the cases, print them and write coverage.md.")
  var list = false

  func run() throws {
    let repository = BundleFactory.repositoryRoot() ?? FileManager.default.currentDirectoryPath
    let casesDirectory = cases ?? repository + "/conformance/cases"
    var loaded = try CaseLoader.loadDirectory(casesDirectory)
    if !filter.isEmpty {
      loaded = loaded.filter { c in
        filter.contains { fnmatch($0, c.id, 0) == 0 || fnmatch($0, "\(c.area)/\(c.id)", 0) == 0 }
      }
    }
    if let shard = try shardOption.parsed() { loaded = shard.select(loaded, key: \.id) }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try Reports.coverage(loaded).write(toFile: out + "/coverage.md", atomically: true, encoding: .utf8)
    if list {
      for c in loaded { print("\(c.area)/\(c.id)\t\(c.requirement.citation)\t\(c.needs.joined(separator: ","))") }
      print("\(loaded.count) cases")
      return
    }
    guard !runtimeSelection.runtimes.isEmpty else { throw ValidationError("give at least one --runtime PATH") }
    guard jobs >= 1 && jobs <= 64 else { throw ValidationError("--jobs must be 1...64") }
    guard !loaded.isEmpty else { throw ValidationError("no case matches") }
    let under = try runtimeSelection.probe()
    guard Set(under.map(\.name)).count == under.count else {
      throw ValidationError("two runtimes share a name: \(under.map(\.name).joined(separator: ", "))")
    }
    let work = NSTemporaryDirectory() + "drydock-conformance-\(getpid())"
    let usability = try Preflight.checkAll(under, workDirectory: work + "/preflight")
    var options = SuiteOptions(workDirectory: work, probeSource: repository + "/conformance/probe/probe.c")
    options.jobs = jobs
    options.verbose = verbose
    guard callTimeout > 0 else { throw ValidationError("--call-timeout must be > 0") }
    options.callTimeout = callTimeout
    options.progress = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    FileHandle.standardError.write(
      Data("drydock conformance: \(loaded.count) cases × \(under.count) runtimes, \(jobs) jobs\n".utf8))
    let suite = try SuiteRunner.run(cases: loaded, runtimes: under, usability: usability, options: options)
    try? FileManager.default.removeItem(atPath: work)
    let stamp = ISO8601DateFormatter().string(from: suite.startedAt)
    func write(_ text: String, _ name: String) throws {
      try text.write(toFile: out + "/" + name, atomically: true, encoding: .utf8)
    }
    try write(Reports.json(suite, generatedAt: stamp), "conformance.json")
    for i in suite.runtimes.indices {
      try write(Reports.tap(suite, runtime: i), "\(suite.runtimes[i].runtime.name).tap")
    }
    try write(Reports.junit(suite), "junit.xml")
    try write(Reports.matrixMarkdown(suite), "matrix.md")
    try write(Reports.matrixHTML(suite), "matrix.html")
    for rt in suite.runtimes {
      if let unusable = rt.unusable {
        print("\(rt.runtime.name): UNUSABLE here, \(suite.cases.count) cases not run — \(unusable.summary)")
        continue
      }
      print("\(rt.runtime.name): pass \(rt.count(.pass)) fail \(rt.count(.fail)) skip \(rt.count(.skip))")
    }
    print(
      "disagreements: \(Reports.disagreements(suite).count); wall \(String(format: "%.1f", suite.wallSeconds)) s; reports in \(out)"
    )
    try Preflight.enforce(usability, gate: gate, requireAll: requireAll)
    if let gate {
      guard let failed = Reports.gateFailures(suite, gatePath: HostFeatures.which(gate) ?? gate) else {
        throw ValidationError("--gate \(gate) is not one of the runtimes")
      }
      if !failed.isEmpty {
        print("gate: \(gate) fails \(failed.count) MUST case(s): \(failed.joined(separator: ", "))")
        throw ExitCode(1)
      }
    }
  }
}
