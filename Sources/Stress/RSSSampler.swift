// RSSSampler: the runtime's memory over time. runc, crun and hull are short-lived CLI processes (plus the helpers
// a create leaves behind), so their memory is sampled from /proc while the churn runs rather than taken from
// wait4, whose ru_maxrss carries the test-bed's own pre-exec image (see ProcessRunner).
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct RSSSample: Codable, Sendable {
  public var seconds: Double
  public var processes: Int
  public var maxKilobytes: Int
  public var totalKilobytes: Int
  public var selfKilobytes: Int
  public init(seconds: Double, processes: Int, maxKilobytes: Int, totalKilobytes: Int, selfKilobytes: Int) {
    self.seconds = seconds
    self.processes = processes
    self.maxKilobytes = maxKilobytes
    self.totalKilobytes = totalKilobytes
    self.selfKilobytes = selfKilobytes
  }
}

public struct RSSBucket: Codable, Sendable {
  public var fromSeconds: Double
  public var maxKilobytes: Int
  public var selfKilobytes: Int
}

public struct RSSSummary: Codable, Sendable {
  public var samples: Int
  public var peakKilobytes: Int
  public var peakTotalKilobytes: Int
  /// Ten slices of the run: the largest single-process RSS and the test-bed's own RSS.
  public var timeline: [RSSBucket]
  /// The test-bed's RSS at the end minus at the start (a caller-side leak shows here).
  public var selfGrowthKilobytes: Int

  public static func summarize(_ samples: [RSSSample]) -> RSSSummary {
    guard let last = samples.last, let first = samples.first else {
      return RSSSummary(samples: 0, peakKilobytes: 0, peakTotalKilobytes: 0, timeline: [], selfGrowthKilobytes: 0)
    }
    let span = max(last.seconds, 0.001)
    var buckets: [RSSBucket] = (0..<10).map {
      RSSBucket(fromSeconds: span * Double($0) / 10, maxKilobytes: 0, selfKilobytes: 0)
    }
    for sample in samples {
      let index = min(9, Int(sample.seconds / span * 10))
      buckets[index].maxKilobytes = max(buckets[index].maxKilobytes, sample.maxKilobytes)
      buckets[index].selfKilobytes = max(buckets[index].selfKilobytes, sample.selfKilobytes)
    }
    return RSSSummary(
      samples: samples.count, peakKilobytes: samples.map(\.maxKilobytes).max() ?? 0,
      peakTotalKilobytes: samples.map(\.totalKilobytes).max() ?? 0, timeline: buckets,
      selfGrowthKilobytes: last.selfKilobytes - first.selfKilobytes)
  }
}

public final class RSSSampler: @unchecked Sendable {
  private let samples = Locked<[RSSSample]>([])
  private let running = Locked(false)
  private let finished = DispatchSemaphore(value: 0)

  public init() {}

  /// Samples every process whose command line holds `marker` (the runtime's --root) every `interval` seconds.
  public func start(marker: String, interval: Double = 0.05) {
    running.withLock { $0 = true }
    let thread = Thread { [self] in
      let start = Date()
      while running.snapshot {
        let sample = Self.sample(marker: marker, at: Date().timeIntervalSince(start))
        samples.withLock { $0.append(sample) }
        usleep(useconds_t(interval * 1e6))
      }
      finished.signal()
    }
    thread.start()
  }

  public func stop() -> [RSSSample] {
    guard running.snapshot else { return samples.snapshot }
    running.withLock { $0 = false }
    finished.wait()
    return samples.snapshot
  }

  static func sample(marker: String, at seconds: Double) -> RSSSample {
    var count = 0
    var maximum = 0
    var total = 0
    let me = getpid()
    for pid in ProcFiles.pids() where pid != me {
      guard let data = ProcFiles.read("/proc/\(pid)/cmdline"),
        String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).contains(marker)
      else { continue }
      let rss = residentKilobytes(pid)
      guard rss > 0 else { continue }
      count += 1
      maximum = max(maximum, rss)
      total += rss
    }
    return RSSSample(
      seconds: seconds, processes: count, maxKilobytes: maximum, totalKilobytes: total,
      selfKilobytes: residentKilobytes(me))
  }

  static func residentKilobytes(_ pid: Int32) -> Int {
    guard let status = ProcFiles.text("/proc/\(pid)/status"),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }
}
