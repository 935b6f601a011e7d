// Statistics on fixed arrays and a known distribution; the bootstrap is seeded, so results are exact.
import Bench
import Testing

@Suite struct StatisticsTests {
  @Test func medianOfOddAndEvenCounts() {
    #expect(Statistics.median([3, 1, 2]) == 2)
    #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
    #expect(Statistics.median([7]) == 7)
    #expect(Statistics.median([]).isNaN)
  }

  @Test func percentilesInterpolateBetweenRanks() {
    let values = (0...10).map(Double.init)  // 0, 1, ..., 10
    #expect(Statistics.percentile(values, 0) == 0)
    #expect(Statistics.percentile(values, 50) == 5)
    #expect(Statistics.percentile(values, 90) == 9)
    #expect(Statistics.percentile(values, 99) == 9.9)
    #expect(Statistics.percentile(values, 100) == 10)
    #expect(Statistics.percentile([10, 20], 25) == 12.5)
  }

  @Test func summaryOfAFixedSample() {
    let summary = Statistics.summarize([5, 1, 4, 2, 3])
    #expect(summary.median == 3)
    #expect(summary.min == 1)
    #expect(summary.max == 5)
    #expect(summary.mean == 3)
    #expect(summary.p90 == 4.6)
    #expect(summary.ci95.count == 2)
    #expect(summary.ci95[0] <= summary.median && summary.median <= summary.ci95[1])
  }

  @Test func bootstrapIsDeterministicForASeed() {
    let sample = (0..<50).map { Double(($0 * 37) % 50) }
    let first = Statistics.bootstrapMedianCI(sample, seed: 42)
    let again = Statistics.bootstrapMedianCI(sample, seed: 42)
    #expect(first == again)
  }

  /// 401 draws from Uniform(0, 1) (population median 0.5): the 95% interval of the median contains 0.5
  /// and is narrow (its half-width is about 1.96 * 0.5 / sqrt(401) ≈ 0.049).
  @Test func bootstrapIntervalContainsTheTrueMedian() {
    var generator = SplitMix64(seed: 2024)
    let sample = (0..<401).map { _ in Double(generator.next() >> 11) / Double(1 << 53) }
    let interval = Statistics.bootstrapMedianCI(sample, seed: 7)
    #expect(interval.low < 0.5 && 0.5 < interval.high)
    #expect(interval.high - interval.low < 0.15)
    #expect(interval.low <= Statistics.median(sample) && Statistics.median(sample) <= interval.high)
  }

  /// A constant sample has a degenerate interval at the constant.
  @Test func bootstrapOfAConstantSample() {
    let interval = Statistics.bootstrapMedianCI([4, 4, 4, 4])
    #expect(interval.low == 4 && interval.high == 4)
  }

  @Test func fixedPointFormatting() {
    #expect(MarkdownTable.number(1.005, decimals: 2) == "1.01" || MarkdownTable.number(1.005, decimals: 2) == "1.00")
    #expect(MarkdownTable.number(52.8, decimals: 2) == "52.80")
    #expect(MarkdownTable.number(-0.25, decimals: 1) == "-0.3" || MarkdownTable.number(-0.25, decimals: 1) == "-0.2")
    #expect(MarkdownTable.number(3, decimals: 0) == "3")
    #expect(MarkdownTable.number(0.07, decimals: 2) == "0.07")
  }
}
