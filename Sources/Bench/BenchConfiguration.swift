// BenchConfiguration: everything one benchmark run needs, with the method's defaults.
import DrydockKit

public struct BenchConfiguration: Sendable {
  /// The first is the reference for ratios.
  public var runtimes: [RuntimeUnderTest]
  public var scenarios: [Scenario]
  /// Measured runs per runtime, scenario and mode.
  public var runs = 100
  /// Runs per runtime, scenario and mode discarded before the measured ones.
  public var warmup = 5
  public var modes: [BenchMode] = [.isolated, .backToBack]
  /// The floor takes part in scenarios with "floor": true.
  public var includeFloor = true
  /// Idle time before each timed call in isolated mode: long enough for the cgroup v1 attach to pay its RCU
  /// grace period, as a lone start does.
  public var isolationSleepMilliseconds = 50.0
  public var rootfsStrategy: RootfsStrategy = .bindMountReadOnly
  /// Seeds the participants' order per iteration and the bootstrap resampling: the same seed gives the same
  /// order, the same samples the same intervals.
  public var seed: UInt64 = 0x5EED
  /// Per runtime call.
  public var timeoutSeconds = 30.0
  /// nil: a fresh directory under $TMPDIR or /tmp, removed afterwards.
  public var workDirectory: String?
  /// The directory of floor.c and measure.c; nil: <repository>/bench/floor.
  public var floorSource: String?
  public var compiler = "cc"

  public init(runtimes: [RuntimeUnderTest], scenarios: [Scenario]) {
    self.runtimes = runtimes
    self.scenarios = scenarios
  }

  /// Checks runs >= 1, warmup >= 0, and at least one runtime, scenario and mode.
  public func validate() throws {
    guard !runtimes.isEmpty else {
      throw HarnessError(.bench, operation: "configure", message: "no runtime given (--runtime PATH)")
    }
    guard !scenarios.isEmpty else {
      throw HarnessError(.bench, operation: "configure", message: "no scenario selected")
    }
    guard !modes.isEmpty else { throw HarnessError(.bench, operation: "configure", message: "no mode selected") }
    guard runs >= 1, warmup >= 0 else {
      throw HarnessError(.bench, operation: "configure", message: "runs must be >= 1 and warmup >= 0")
    }
    let names = runtimes.map(\.name)
    guard Set(names).count == names.count, !names.contains("floor") else {
      throw HarnessError(
        .bench, operation: "configure", message: "runtime names must be distinct and not 'floor': \(names)")
    }
  }
}
