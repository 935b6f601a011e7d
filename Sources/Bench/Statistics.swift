// Statistics: order statistics and a deterministic bootstrap confidence interval of the median.

/// The same seed gives the same stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

public struct Summary: Codable, Sendable, Equatable {
  public var median: Double
  public var p90: Double
  public var p99: Double
  public var min: Double
  public var max: Double
  public var mean: Double
  /// The 95% bootstrap interval of the median: [low, high].
  public var ci95: [Double]
  /// Absent in reports written before they were added; the report's box plots need the quartiles.
  public var p25: Double?
  public var p75: Double?

  public init(
    median: Double, p90: Double, p99: Double, min: Double, max: Double, mean: Double, ci95: [Double],
    p25: Double? = nil, p75: Double? = nil
  ) {
    self.median = median
    self.p90 = p90
    self.p99 = p99
    self.min = min
    self.max = max
    self.mean = mean
    self.ci95 = ci95
    self.p25 = p25
    self.p75 = p75
  }
}

/// Empty input gives NaN everywhere (callers report n = 0 instead).
public enum Statistics {
  /// p in 0...100, linear interpolation between closest ranks (numpy's default, "type 7").
  public static func percentile(_ sortedValues: [Double], _ p: Double) -> Double {
    guard !sortedValues.isEmpty else { return .nan }
    guard sortedValues.count > 1 else { return sortedValues[0] }
    let rank = Swift.min(Swift.max(p, 0), 100) / 100 * Double(sortedValues.count - 1)
    let lower = Int(rank.rounded(.down))
    let upper = Swift.min(lower + 1, sortedValues.count - 1)
    let fraction = rank - Double(lower)
    return sortedValues[lower] + (sortedValues[upper] - sortedValues[lower]) * fraction
  }

  public static func median(_ values: [Double]) -> Double { percentile(values.sorted(), 50) }

  public static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
  }

  /// Percentile bootstrap: resample with replacement, take the median, report the (1-level)/2 and
  /// 1-(1-level)/2 quantiles.
  public static func bootstrapMedianCI(
    _ values: [Double], level: Double = 0.95, resamples: Int = 2000,
    seed: UInt64 = 0x5EED
  ) -> (low: Double, high: Double) {
    guard !values.isEmpty else { return (.nan, .nan) }
    var generator = SplitMix64(seed: seed)
    var medians: [Double] = []
    medians.reserveCapacity(resamples)
    var sample = [Double](repeating: 0, count: values.count)
    for _ in 0..<resamples {
      for i in 0..<values.count { sample[i] = values[Int(generator.next() % UInt64(values.count))] }
      sample.sort()
      medians.append(percentile(sample, 50))
    }
    medians.sort()
    let tail = (1 - level) / 2 * 100
    return (percentile(medians, tail), percentile(medians, 100 - tail))
  }

  public static func summarize(_ values: [Double], seed: UInt64 = 0x5EED) -> Summary {
    let sorted = values.sorted()
    let ci = bootstrapMedianCI(values, seed: seed)
    return Summary(
      median: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99),
      min: sorted.first ?? .nan, max: sorted.last ?? .nan, mean: mean(values), ci95: [ci.low, ci.high],
      p25: percentile(sorted, 25), p75: percentile(sorted, 75))
  }
}
