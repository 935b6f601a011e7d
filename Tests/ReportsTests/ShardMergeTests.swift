// Sharding and merging: every item lands in exactly one shard whatever the input order, and writing the
// shards' results to disk and merging them gives back the unsharded results.
import Bench
import DrydockKit
import Foundation
import Testing

@testable import Reports

@Suite struct ShardMergeTests {
  @Test func shardsPartitionStablyWhateverTheInputOrder() throws {
    let items = (0..<23).map { "case-\($0)" }
    for count in 1...5 {
      let shards = try (1...count).map { try Shard(index: $0, count: count) }
      let parts = shards.map { $0.select(items) { $0 } }
      #expect(parts.flatMap { $0 }.sorted() == items.sorted())
      #expect(Set(parts.flatMap { $0 }).count == items.count)
      #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
      let reversed = shards.map { $0.select(items.reversed()) { $0 } }
      #expect(zip(parts, reversed).allSatisfy { Set($0) == Set($1) })
    }
    #expect(try Shard(parsing: "2/4") == Shard(index: 2, count: 4))
    for bad in ["0/3", "4/3", "1", "a/b", "1/0", "/2"] {
      #expect(#expect(throws: HarnessError.self) { try Shard(parsing: bad) }?.domain == .bench)
    }
  }

  /// Shards split like `drydock bench --shard` (by scenario) and `drydock conformance --shard` (by case id).
  @Test func benchAndConformanceShardsMergeBackToTheWhole() throws {
    let whole = Fixtures.bench()
    let doc = Fixtures.conformance()
    let scenarios = unique(whole.results.map(\.scenario))
    let base = Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let count = 3
    for index in 1...count {
      let shard = try Shard(index: index, count: count)
      let mine = Set(shard.select(scenarios) { $0 })
      var part = whole
      part.results = whole.results.filter { mine.contains($0.scenario) }
      part.environment.shard = shard.description
      var conformance = doc
      for r in conformance.runtimes.indices {
        conformance.runtimes[r].cases = shard.select(doc.runtimes[r].cases, key: \.id)
      }
      let directory = "\(base)/shard-\(index)"
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try part.jsonData().write(to: URL(fileURLWithPath: directory + "/bench.json"))
      let encoder = JSONEncoder()
      try encoder.encode(conformance).write(to: URL(fileURLWithPath: directory + "/conformance.json"))
      try encoder.encode(["traces": Fixtures.traces().filter { $0.phase == (index == 1 ? "create" : "start") }])
        .write(to: URL(fileURLWithPath: directory + "/trace.json"))
    }
    let inputs = try ReportInputs.load(directories: (1...count).map { "\(base)/shard-\($0)" })
    #expect(inputs.bench.count == 3 && inputs.conformance.count == 3)
    let merged = try Merge.all(inputs)
    #expect(merged.notes.isEmpty, "\(merged.notes)")
    let key = { (r: BenchResult) in "\(r.runtime) \(r.scenario)/\(r.phase) \(r.mode)" }
    #expect(Set(try #require(merged.bench).results.map(key)) == Set(whole.results.map(key)))
    #expect(merged.bench?.environment.shard == nil)
    let mergedDoc = try #require(merged.conformance)
    #expect(mergedDoc.caseCount == doc.caseCount)
    for (a, b) in zip(mergedDoc.runtimes, doc.runtimes) {
      #expect(a.name == b.name)
      #expect(a.cases.sorted { $0.id < $1.id } == b.cases.sorted { $0.id < $1.id })
    }
    #expect(merged.traces.count == Fixtures.traces().count)

    // `drydock report merge` writes files that `drydock report --in` reads back to the same merge.
    let out = base + "/merged"
    let written = try ReportWriter.writeMerged(merged, to: out)
    #expect(written.map { ($0 as NSString).lastPathComponent } == ["bench.json", "conformance.json", "traces.json"])
    let again = try Merge.all(try ReportInputs.load(directories: [out]))
    #expect(again.bench?.results.map(key) == merged.bench?.results.map(key))
    #expect(again.conformance == merged.conformance)
    #expect(again.traces == merged.traces)
    let reportFiles = try ReportWriter.writeReport(
      ReportModel.build(again, inputs: [out], generatedAt: "t"), to: base + "/report")
    #expect(reportFiles.count == 4)
    // A report directory given back as input contributes nothing (report.json is recognised and skipped).
    #expect(try ReportInputs.load(directories: [base + "/report"]).files.isEmpty)
  }

  @Test func aMissingShardIsNotedAndAnOverlapIsAnError() throws {
    #expect(Merge.missingShards(["1/4", "3/4", "4/4"]) == ["2/4"])
    var first = Fixtures.bench()
    var second = Fixtures.bench()
    first.environment.shard = "1/2"
    second.environment.shard = "2/2"
    var notes: [String] = []
    #expect(#expect(throws: HarnessError.self) { try Merge.bench([first, second], notes: &notes) }?.domain == .report)
    second.results = []
    _ = try Merge.bench([first, second], notes: &notes)
    #expect(notes.isEmpty)
    var unsharded = Fixtures.bench()
    unsharded.results = []
    _ = try Merge.bench([first, unsharded], notes: &notes)
    #expect(notes == ["bench shard 2/2 is missing"])
  }

  @Test func conflictingVerdictsKeepTheFailure() {
    var a = Fixtures.conformance()
    var b = Fixtures.conformance()
    a.runtimes[1].cases[0].status = "pass"
    b.runtimes[1].cases[0].status = "fail"
    var notes: [String] = []
    let merged = Merge.conformance([a, b], notes: &notes)
    #expect(merged?.runtimes[1].cases[0].status == "fail")
    #expect(notes.count == 1)
  }
}
