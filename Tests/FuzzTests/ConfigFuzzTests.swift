// Issue 9: hull's config parser under a fuzzer. scripts/fuzz-config builds Sources/hull-config-fuzz with
// libFuzzer and AddressSanitizer and runs it for a bounded time on a corpus seeded from the busybox bundle
// and the bad-input corpus; any crash, out-of-bounds read, leak of a refusal message or JSON round-trip
// difference fails it. The plain build of the same target replays the corpus and any crash found before.
import Foundation
import Testing

enum FuzzEnv {
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
  /// The plain (replaying) build beside the test bundle.
  static let replayer: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("hull-config-fuzz").path
  }()
  static let seconds = ProcessInfo.processInfo.environment["FUZZ_SECONDS"] ?? "45"
  /// Why libFuzzer cannot run here (no swift on PATH, or a toolchain without its runtime), or nil.
  static let libFuzzerMissing: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    guard
      let swift = (path.split(separator: ":").map { "\($0)/swift" } + ["/opt/swift/usr/bin/swift"])
        .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else { return "no swift toolchain on PATH" }
    let usr = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent()
      .deletingLastPathComponent().path
    let clang = (try? FileManager.default.contentsOfDirectory(atPath: usr + "/lib/clang")) ?? []
    let found = clang.contains {
      FileManager.default.fileExists(atPath: "\(usr)/lib/clang/\($0)/lib/linux/libclang_rt.fuzzer-x86_64.a")
    }
    return found ? nil : "the Swift toolchain at \(usr) has no libFuzzer runtime (libclang_rt.fuzzer)"
  }()

  static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    process.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

@Suite("config parser fuzzing") struct ConfigFuzzTests {
  @Test("the committed corpus and earlier crash inputs replay through every parser without a failure")
  func replayCorpus() throws {
    let fm = FileManager.default
    try #require(fm.isExecutableFile(atPath: FuzzEnv.replayer), "build hull-config-fuzz first (swift build)")
    var inputs = try fm.contentsOfDirectory(atPath: FuzzEnv.repoRoot + "/conformance/bad-input/cases")
      .map { FuzzEnv.repoRoot + "/conformance/bad-input/cases/" + $0 }
    inputs.append(FuzzEnv.repoRoot + "/bundles/busybox/config.json")
    let crashes = FuzzEnv.repoRoot + "/.build/fuzz/crashes"
    inputs += ((try? fm.contentsOfDirectory(atPath: crashes)) ?? []).map { crashes + "/" + $0 }
    let result = try FuzzEnv.run([FuzzEnv.replayer] + inputs)
    #expect(result.status == 0, "\(result.output.suffix(2000))")
    #expect(result.output.contains("\(inputs.count) inputs replayed"), "\(result.output.suffix(500))")
  }

  @Test(
    "libFuzzer with AddressSanitizer finds nothing in a bounded run (FUZZ_SECONDS, default 45)",
    .enabled(if: FuzzEnv.libFuzzerMissing == nil, Comment(rawValue: FuzzEnv.libFuzzerMissing ?? "")),
    .timeLimit(.minutes(10)))
  func boundedFuzzRun() throws {
    let result = try FuzzEnv.run(["/bin/bash", FuzzEnv.repoRoot + "/scripts/fuzz-config", FuzzEnv.seconds])
    #expect(result.status == 0, "fuzzer failure (input in .build/fuzz/crashes):\n\(result.output.suffix(4000))")
    #expect(
      result.output.contains("Done ") && result.output.contains("stat::number_of_executed_units"),
      "\(result.output.suffix(1000))")
  }
}
