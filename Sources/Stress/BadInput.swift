// BadInput: runs every case of the bad-input corpus (conformance/bad-input: manifest.json + cases/) through
// `RUNTIME run` and judges it: a clear refusal (non-zero exit with a message, no crash) and nothing created
// (no state entry, cgroup, process or mount; no file at the escape path on the host; no host device readable).
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One manifest entry: the file, its category and why it is bad.
public struct BadInputCase: Codable, Sendable {
  public var file: String
  public var category: String
  public var why: String
  /// A hostile container id.
  public var id: String?
  /// Needs a writable rootfs copy.
  public var writable: Bool?
  /// A host path that must stay absent.
  public var escape: String?
  /// Made in the rootfs.
  public var symlinks: [String: String]?
  /// The probe reads a host disk node.
  public var hostDisk: Bool?
  /// "refuse" (the default) or "contain": rootfs content such as symlinks, which a runtime must
  /// resolve inside the rootfs; running it is fine as long as nothing escapes.
  public var expect: String?
}

public enum BadInputVerdict: String, Codable, Sendable {
  /// timedOut: no answer in 20 s, the runtime's process group then SIGKILLed.
  case refused
  case refusedSilently = "refused-without-message"
  case accepted, crashed
  case timedOut = "timed-out"
  case skipped
}

public struct BadInputResult: Codable, Sendable {
  public var file: String
  public var category: String
  public var verdict: BadInputVerdict
  public var message: String
  public var findings: [String]
  /// nil = refuse; "contain" = refusing or running without a finding both pass.
  public var expectation: String?
  public var passed: Bool {
    findings.isEmpty && (verdict == .refused || (expectation == "contain" && verdict == .accepted))
  }
}

public struct BadInputReport: Codable, Sendable {
  public var runtime: String
  public var cases: [BadInputResult]
  public var passed: Bool { cases.allSatisfy(\.passed) }
  public var byVerdict: [String: Int] {
    cases.reduce(into: [:]) { $0[$1.verdict.rawValue, default: 0] += 1 }
  }
  public var byCategory: [String: [String: Int]] {
    cases.reduce(into: [:]) { $0[$1.category, default: [:]][$1.verdict.rawValue, default: 0] += 1 }
  }
}

private struct Manifest: Decodable { var cases: [BadInputCase] }

/// Safety: a case that parses as an object whose `linux` lacks this run's cgroupsPath is skipped, not run,
/// because a runtime accepting it would create a cgroup under the caller's own (here the machine's control
/// process's).
public enum BadInputRunner {
  public static func load(directory: String) throws(HarnessError) -> [BadInputCase] {
    let path = directory + "/manifest.json"
    guard let data = FileManager.default.contents(atPath: path) else {
      throw HarnessError(.stress, operation: "read bad-input manifest", path: path, message: "cannot read file")
    }
    do { return try JSONDecoder().decode(Manifest.self, from: data).cases } catch {
      throw HarnessError(.stress, operation: "parse bad-input manifest", path: path, message: "\(error)")
    }
  }

  public static func run(runtime: RuntimeUnderTest, directory: String, only: Set<String>? = nil) throws(HarnessError)
    -> BadInputReport
  {
    let cases = try load(directory: directory).filter { only?.contains($0.file) ?? true }
    let environment = try StressEnvironment(runtime: runtime, label: "badinput", timeout: 20)
    defer { _ = environment.tearDown() }
    let work = environment.workDirectory
    // Deep enough that an id climbing three levels stays inside the work directory (and is found there).
    let stateRoot = work + "/s1/s2/state"
    let driver = RuntimeDriver(runtime: runtime, stateRoot: stateRoot, timeout: 20)
    var auditor = environment.auditor
    auditor.stateRoot = stateRoot
    let expectedEntries = Set((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).union(["bundles"])
    let marker = "drydock-escape-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let placeholder = try kit { try environment.config(args: ["true"], cgroupsPath: "/") }
    // The shared rootfs reaches runtimes as a read-only bind mount; a runtime that remounts it read-write and
    // creates a missing cwd or mount point writes into it (seen with crun): caught here and undone.
    let cache = environment.workDirectory + "/rootfs-cache"
    let cacheListing = Set(rawTree(cache))
    var results: [BadInputResult] = []

    for (index, badCase) in cases.enumerated() {
      let cgroupsPath = environment.cgroupsPath("case\(index)")
      let id = (badCase.id ?? "bad\(index)").replacingOccurrences(of: "@ESCAPE@", with: marker)
      let escape = badCase.escape?.replacingOccurrences(of: "@ESCAPE@", with: marker)
      guard let original = FileManager.default.contents(atPath: directory + "/cases/" + badCase.file) else {
        throw HarnessError(
          .stress, operation: "read case", path: directory + "/cases/" + badCase.file, message: "cannot read file")
      }
      let bytes = substitute(substitute(original, "@CGROUPS_PATH@", cgroupsPath), "@ESCAPE@", marker)
      var result = BadInputResult(
        file: badCase.file, category: badCase.category, verdict: .skipped, message: "", findings: [],
        expectation: badCase.expect)
      if let reason = unsafeReason(bytes, cgroupsPath: cgroupsPath) {
        result.message = "not run: \(reason)"
        results.append(result)
        continue
      }
      let bundle = try environment.makeBundle(
        name: "case\(index)", config: placeholder,
        strategy: badCase.writable == true ? .hardlinkCopy : nil)
      for (name, target) in badCase.symlinks ?? [:] {
        symlink(target.replacingOccurrences(of: "@ESCAPE@", with: marker), bundle.rootfs + "/" + name)
      }
      guard FileManager.default.createFile(atPath: bundle.configPath, contents: bytes) else {
        throw HarnessError(
          .stress, operation: "write case config", path: bundle.configPath, message: String(cString: strerror(errno)))
      }
      // Per case, after its bundle mount: only what the runtime adds counts.
      var before = auditor.snapshot()
      before.stateEntries = []
      let outcome = try kit { try driver.run(id: id, bundle: bundle.path) }
      let stderr = outcome.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      if outcome.timedOut {
        result.verdict = .timedOut
        result.message =
          "no answer in 20 s; last stderr line: "
          + (stderr.split(separator: "\n").last.map { String($0.prefix(200)) } ?? "")
      } else if outcome.signal != nil || Crash.looksLikeCrash(stderr) {
        result.verdict = .crashed
        result.message = outcome.signal.map { "killed by signal \($0)" } ?? String(stderr.prefix(300))
      } else if outcome.succeeded {
        result.verdict = .accepted
        result.message = String(outcome.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
      } else {
        result.verdict = stderr.isEmpty ? .refusedSilently : .refused
        result.message = String(stderr.split(separator: "\n").last.map(String.init)?.prefix(300) ?? "")
      }
      for line in outcome.stdoutText.split(separator: "\n") where line.hasPrefix("DEVICE-READABLE") {
        result.findings.append("host device readable inside the container: \(line.dropFirst(16))")
      }
      let wrote = cacheChanges(cache: cache, before: cacheListing)
      if !wrote.isEmpty {
        let names: [String] = wrote.map { path in
          String(decoding: path.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        result.findings.append(
          "wrote into the read-only rootfs: " + names.prefix(5).joined(separator: ", ")
            + (names.count > 5 ? " and \(names.count - 5) more" : ""))
        for path in wrote.reversed() { path.withUnsafeBufferPointer { _ = remove($0.baseAddress!) } }
      }
      // Leftovers are judged before our own cleanup, then removed so the next case starts clean.
      usleep(50_000)
      if let escape, FileManager.default.fileExists(atPath: escape) {
        result.findings.append("ESCAPED the rootfs: \(escape) exists on the host")
      }
      let extra = Set((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).subtracting(expectedEntries)
      let extraDeep = ((try? FileManager.default.contentsOfDirectory(atPath: work + "/s1")) ?? []).filter { $0 != "s2" }
      for name in extra.sorted() { result.findings.append("created outside the state root: \(work)/\(name)") }
      for name in extraDeep { result.findings.append("created outside the state root: \(work)/s1/\(name)") }
      if result.verdict != .accepted {
        result.findings += auditor.audit(since: before, settle: 2).filter { $0.kind != .fd }.map {
          "left behind: \($0)"
        }
      }
      _ = try? driver.delete(id: id, force: true)
      for process in auditor.ownProcesses() { kill(process.pid, SIGKILL) }
      _ = environment.cleaner.remove(cgroupsPath: cgroupsPath)
      if let escape {
        umount2(escape, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: escape)
      }
      for name in extra { try? FileManager.default.removeItem(atPath: work + "/" + name) }
      for name in extraDeep { try? FileManager.default.removeItem(atPath: work + "/s1/" + name) }
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? [] {
        try? FileManager.default.removeItem(atPath: stateRoot + "/" + entry)
      }
      try environment.removeBundle(bundle)
      if result.verdict == .accepted {
        // Accepted is the finding; what a clean accepted run leaves is still a leak worth listing.
        result.findings += auditor.audit(since: before, settle: 2).filter { $0.kind != .fd }.map {
          "left behind: \($0)"
        }
      }
      results.append(result)
    }
    return BadInputReport(runtime: runtime.name, cases: results)
  }

  /// Every path under `root`, as raw bytes (a runtime may create names that are not UTF-8), NUL-terminated.
  static func rawTree(_ root: String) -> [[CChar]] {
    var result: [[CChar]] = []
    func walk(_ path: [CChar]) {
      guard let directory = opendir(path) else { return }
      defer { closedir(directory) }
      while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.bindMemory(to: CChar.self).prefix { $0 != 0 }) }
        if name == [46] || name == [46, 46] { continue }
        let child = Array(path.dropLast()) + [47] + name + [0]
        result.append(child)
        if entry.pointee.d_type == UInt8(DT_DIR) { walk(child) }
      }
    }
    walk(Array(root.utf8CString))
    return result
  }

  /// Paths added under the cache since `before`, parents first.
  static func cacheChanges(cache: String, before: Set<[CChar]>) -> [[CChar]] {
    rawTree(cache).filter { !before.contains($0) }.sorted { $0.count < $1.count }
  }

  public static func substitute(_ data: Data, _ placeholder: String, _ value: String) -> Data {
    let needle = Data(placeholder.utf8)
    let replacement = Data(value.utf8)
    var output = Data()
    var rest = data[...]
    while let range = rest.range(of: needle) {
      output += rest[rest.startIndex..<range.lowerBound]
      output += replacement
      rest = rest[range.upperBound...]
    }
    return output + rest
  }

  /// Why running these bytes could put a cgroup outside our prefix, or nil when it cannot.
  public static func unsafeReason(_ bytes: Data, cgroupsPath: String) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return nil }
    // Without a process or a root every runtime stops before it creates a cgroup.
    guard object["process"] is [String: Any], object["root"] is [String: Any] else { return nil }
    if let linux = object["linux"] {
      guard let linux = linux as? [String: Any] else { return nil }  // a wrong type is refused while parsing
      if let path = linux["cgroupsPath"] as? String, path.hasPrefix(cgroupsPath) { return nil }
    }
    return "linux.cgroupsPath is not this run's: a runtime accepting it would use the caller's cgroup"
  }
}
