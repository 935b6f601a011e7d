// Memory: the two memory scenarios of issue 8, and the bisection they need.
//
//   held   after `create` returned and before `start`: the summed Pss (/proc/PID/smaps_rollup) of every process
//          the runtime left in the container's cgroup (runc's `runc init`, crun's own process, hull's cloned
//          init) and the memory charged to that cgroup (memory.usage_in_bytes on v1, memory.current on v2);
//          then start, wait and delete, untimed. The charge moves in the kernel's per-CPU batches of 64 pages
//          (256 KiB with 4 KiB pages), so small charges read as 256 KiB steps. Pss rather than RSS: pages shared with other copies of the
//          runtime (the binary, libc) count once per sharer, so a node running many waiting containers adds
//          up the right total. The floor has no create/start split and sits this out (n/a).
//   limit  the smallest linux.resources.memory.limit (memory.swap equal to it, so swap cannot hide a shortfall)
//          at which `run` of /bin/true works `limitRepeats` times in a row: the runtime (whose exit status is
//          the container's, in the foreground) exits 0. One bisection per runtime, not a distribution; the
//          runs at the limit found are the samples (wall/CPU/RSS) of the result. The floor takes part with the
//          limit written into its own memory cgroup (bench/floor/floor.c's 4th argument).
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct MemoryLimitStep: Codable, Sendable, Equatable {
  public var limitKB: Int
  public var works: Bool
  /// Runs made at this limit.
  public var runs: Int
  public var failure: String?

  public init(limitKB: Int, works: Bool, runs: Int, failure: String? = nil) {
    self.limitKB = limitKB
    self.works = works
    self.runs = runs
    self.failure = failure
  }

  enum CodingKeys: String, CodingKey {
    case works, runs, failure
    case limitKB = "limit_kb"
  }
}

public struct MemoryLimitSearch: Codable, Sendable, Equatable {
  /// nil: not even the upper bound worked.
  public var smallestWorkingKB: Int?
  /// nil: the lower bound worked.
  public var largestFailingKB: Int?
  public var lowerBoundKB: Int
  public var upperBoundKB: Int
  public var repeats: Int
  /// In the order tried.
  public var steps: [MemoryLimitStep]

  enum CodingKeys: String, CodingKey {
    case repeats, steps
    case smallestWorkingKB = "smallest_working_kb"
    case largestFailingKB = "largest_failing_kb"
    case lowerBoundKB = "lower_bound_kb"
    case upperBoundKB = "upper_bound_kb"
  }
}

public enum MemoryLimitBisection {
  /// Tries the upper bound, then the lower, then halves the interval geometrically (powers of two) until it
  /// spans one octave, then linearly in 1/stepsPerOctave of it (4 KiB pages at least). Assumes a limit that
  /// works keeps working above: the steps are in the JSON for a reader to check.
  public static func search(
    lowerKB: Int, upperKB: Int, stepsPerOctave: Int = 8, repeats: Int = 3,
    attempt: (Int) -> MemoryLimitStep
  ) -> MemoryLimitSearch {
    var result = MemoryLimitSearch(
      smallestWorkingKB: nil, largestFailingKB: nil, lowerBoundKB: lowerKB,
      upperBoundKB: upperKB, repeats: repeats, steps: [])
    func works(_ kb: Int) -> Bool {
      let step = attempt(kb)
      result.steps.append(step)
      return step.works
    }
    guard works(upperKB) else {
      result.largestFailingKB = upperKB
      return result
    }
    guard !works(lowerKB) else {
      result.smallestWorkingKB = lowerKB
      return result
    }
    var low = lowerKB
    var high = upperKB  // low fails, high works
    // Geometric first: the answer's octave in log2(upper/lower) / 2 steps instead of linear halving's dozens.
    while high > 2 * low {
      let mid = 1 << Int(((log2(Double(low)) + log2(Double(high))) / 2).rounded(.down))
      guard mid > low, mid < high else { break }
      if works(mid) { high = mid } else { low = mid }
    }
    // Then linear within the octave, on page multiples (the kernel rounds limits to pages anyway).
    let step = Swift.max(4, (low / Swift.max(1, stepsPerOctave)) / 4 * 4)
    while high - low > step {
      let mid = low + ((high - low) / step / 2) * step
      guard mid > low, mid < high else { break }
      if works(mid) { high = mid } else { low = mid }
    }
    result.smallestWorkingKB = high
    result.largestFailingKB = low
    return result
  }
}

extension BenchRunner {
  /// One held trial: create (timed like lifecycle's), read the memory, then start/wait/delete untimed.
  func heldTrial(_ context: TrialContext, driver: RuntimeDriver, id: String) throws -> TrialOutcome {
    try writeConfig(context, id: id)
    let pidFile = context.bundle.path + "/\(id).pid"
    defer {
      unlink(pidFile)
      unlink(usageFile(context.index))
    }
    isolationPause(context)
    let create = try driver.create(id: id, bundle: context.bundle.path, pidFile: pidFile)
    guard create.succeeded else {
      _ = try? driver.delete(id: id, force: true)
      return .failed(create.summary)
    }
    let created = try usage("create", context)
    let cgroupsPath = cgroupPrefix + "/" + id
    var pids = Self.cgroupProcesses(cgroupsPath)
    // A runtime that put its init elsewhere (no memory controller, another path): at least the pid file's.
    if pids.isEmpty, let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      pids = [pid]
    }
    let pss = pids.compactMap(Self.pssKilobytes)
    let charged = Self.cgroupMemoryUsage(cgroupsPath)
    let start = try driver.start(id: id)
    if start.succeeded, let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
      let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      _ = ProcessRunner.waitForExit(pid: pid, timeout: configuration.timeoutSeconds)
    }
    let delete = try driver.delete(id: id, force: !start.succeeded)
    guard start.succeeded else { return .failed(start.summary) }
    guard delete.succeeded else { return .failed(delete.summary) }
    guard !pss.isEmpty, pss.count == pids.count else {
      return .failed("\(id): no readable smaps_rollup for the processes in \(cgroupsPath) (\(pids))")
    }
    var held = Measurement(phase: "held", wall: 0, cpu: 0, rss: 0)
    held.timed = false
    held.pss = pss.reduce(0, +)
    held.cgroupUsage = charged
    held.processes = Double(pids.count)
    return .measured([created, held])
  }

  /// The limit scenario for one mode: one bisection per participant, one after another (nothing is timed
  /// against anything else, so round-robin buys nothing). Fills `samples` with the runs at the limit found.
  func runLimitScenario(
    _ scenario: Scenario, mode: BenchMode, into samples: inout [SampleKey: Samples],
    tick: (String) -> Void
  ) throws {
    for (index, participant) in participants(for: scenario).enumerated() {
      let context = try prepare(scenario: scenario, mode: mode, participant: participant, index: index)
      defer { tearDown(context) }
      var measured: [Int: [Measurement]] = [:]
      let search = MemoryLimitBisection.search(
        lowerKB: scenario.limitMinKB ?? 32, upperKB: scenario.limitMaxKB ?? 65536,
        stepsPerOctave: scenario.limitSteps ?? 8, repeats: Swift.max(1, scenario.limitRepeats ?? 3)
      ) { kb in
        var runs: [Measurement] = []
        for attempt in 0..<Swift.max(1, scenario.limitRepeats ?? 3) {
          switch limitAttempt(context, kb: kb, id: context.containerID("m\(kb)r\(attempt)")) {
          case .measured(let m): runs += m
          case .failed(let message):
            return MemoryLimitStep(limitKB: kb, works: false, runs: attempt + 1, failure: String(message.prefix(300)))
          }
        }
        measured[kb] = runs
        return MemoryLimitStep(limitKB: kb, works: true, runs: runs.count)
      }
      let key = SampleKey(runtime: participant.name, scenario: scenario.name, phase: "limit", mode: mode.rawValue)
      var series = Samples()
      for m in measured[search.smallestWorkingKB ?? -1] ?? [] {
        series.wall.append(m.wall)
        series.cpu.append(m.cpu)
        series.rss.append(m.rss)
        if let faults = m.faults { series.faults.append(faults) }
        if let switches = m.switches { series.switches.append(switches) }
      }
      if search.smallestWorkingKB == nil {
        series.failures = 1
        series.firstFailure =
          "does not start even at the upper bound, \(search.upperBoundKB) KiB: "
          + (search.steps.first?.failure ?? "")
      }
      series.limitSearch = search
      samples[key] = series
      tick(participant.name)
    }
  }

  /// One foreground run at a memory limit; its cgroup is removed at once, so a failed (OOM-killed) attempt
  /// leaves nothing charged for the next.
  private func limitAttempt(_ context: TrialContext, kb: Int, id: String) -> TrialOutcome {
    let cgroupsPath = cgroupPrefix + "/" + id
    defer {
      unlink(usageFile(context.index))
      _ = cleaner?.remove(cgroupsPath: cgroupsPath)
    }
    do {
      switch context.participant {
      case .floor(let floor):
        let result = try ProcessRunner.run(
          [measurePath, usageFile(context.index)]
            + Floor.command(
              floor: floor, rootfs: context.bundle.rootfs, cgroupsPath: cgroupsPath, memoryLimitBytes: kb * 1024),
          timeout: configuration.timeoutSeconds)
        return result.succeeded ? .measured([try usage("run", context)]) : .failed(Self.briefFailure(result))
      case .runtime(let driver):
        do {
          try context.config.set("linux.resources.memory", to: ["limit": kb * 1024, "swap": kb * 1024])
        } catch let error as HarnessError { throw error.relabeled(.bench) }
        try writeConfig(context, id: id)
        let result = try driver.run(id: id, bundle: context.bundle.path)
        let measured = result.succeeded ? try usage("run", context) : nil
        _ = try? driver.delete(id: id, force: true)  // a foreground run deletes its container; this is insurance
        return measured.map { .measured([$0]) } ?? .failed(Self.briefFailure(result))
      }
    } catch {
      return .failed("\(error)")
    }
  }

  /// How a run at a limit failed, without the (long, always the same) command line: the step list stays readable.
  static func briefFailure(_ result: ProcessResult) -> String {
    let ending =
      result.timedOut ? "timed out" : result.signal.map { "killed by signal \($0)" } ?? "exit \(result.exitCode ?? -1)"
    let err = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
    return ending + (err.isEmpty ? "" : ": " + err.prefix(240))
  }

  /// The directory of the container's cgroup that carries memory accounting: the v1 memory hierarchy when
  /// there is one (hybrid hosts too), else the cgroup2 mount.
  static func memoryCgroupDirectory(_ cgroupsPath: String) -> String? {
    let mounts = HostInfo.cgroupMounts()
    let mount =
      mounts.first { $0.version == 1 && $0.controllers.contains("memory") } ?? mounts.first { $0.version == 2 }
    return mount.map { $0.path + cgroupsPath }
  }

  /// Every process (thread-group leader) in the container's memory cgroup.
  static func cgroupProcesses(_ cgroupsPath: String) -> [Int32] {
    guard let directory = memoryCgroupDirectory(cgroupsPath),
      let text = try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)
    else { return [] }
    return text.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
  }

  /// The Pss line of /proc/PID/smaps_rollup in kB; nil when the process is gone or the file unreadable.
  static func pssKilobytes(_ pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
    for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("Pss:") {
      return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Double($0) }
    }
    return nil
  }

  /// Bytes charged to the container's cgroup now, in KB: v1 memory.usage_in_bytes, v2 memory.current.
  static func cgroupMemoryUsage(_ cgroupsPath: String) -> Double? {
    guard let directory = memoryCgroupDirectory(cgroupsPath) else { return nil }
    for file in ["memory.usage_in_bytes", "memory.current"] {
      if let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8),
        let bytes = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        return bytes / 1024
      }
    }
    return nil
  }
}
