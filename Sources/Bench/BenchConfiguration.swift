// BenchConfiguration: everything one benchmark run needs, with the method's defaults.
//
// Public API:
//   struct BenchConfiguration: Sendable
//     runtimes: [RuntimeUnderTest]       the first is the reference for ratios
//     scenarios: [Scenario]
//     runs = 100, warmup = 5             per runtime, scenario and mode; warm-ups are discarded
//     modes = [.isolated, .backToBack]
//     includeFloor = true                the floor takes part in scenarios with "floor": true
//     isolationSleepMilliseconds = 50    idle time before each timed call in isolated mode: long enough for
//                                        the cgroup v1 attach to pay its RCU grace period, as a lone start does
//     rootfsStrategy = .bindMountReadOnly
//     seed = 0x5EED                      the participants' order per iteration and the bootstrap resampling:
//                                        the same seed gives the same order, the same samples the same intervals
//     timeoutSeconds = 30                per runtime call
//     workDirectory: String? = nil       nil: a fresh directory under $TMPDIR or /tmp, removed afterwards
//     floorSource: String? = nil         directory of floor.c and measure.c; nil: <repository>/bench/floor
//     compiler = "cc"
//     init(runtimes:scenarios:)
//     validate() throws                  runs >= 1, warmup >= 0, at least one runtime, scenario and mode
import DrydockKit

public struct BenchConfiguration: Sendable {
  public var runtimes: [RuntimeUnderTest]
  public var scenarios: [Scenario]
  public var runs = 100
  public var warmup = 5
  public var modes: [BenchMode] = [.isolated, .backToBack]
  public var includeFloor = true
  public var isolationSleepMilliseconds = 50.0
  public var rootfsStrategy: RootfsStrategy = .bindMountReadOnly
  public var seed: UInt64 = 0x5EED
  public var timeoutSeconds = 30.0
  public var workDirectory: String?
  public var floorSource: String?
  public var compiler = "cc"

  public init(runtimes: [RuntimeUnderTest], scenarios: [Scenario]) {
    self.runtimes = runtimes
    self.scenarios = scenarios
  }

  public func validate() throws {
    guard !runtimes.isEmpty else { throw HarnessError(.bench, operation: "configure", message: "no runtime given (--runtime PATH)") }
    guard !scenarios.isEmpty else { throw HarnessError(.bench, operation: "configure", message: "no scenario selected") }
    guard !modes.isEmpty else { throw HarnessError(.bench, operation: "configure", message: "no mode selected") }
    guard runs >= 1, warmup >= 0 else { throw HarnessError(.bench, operation: "configure", message: "runs must be >= 1 and warmup >= 0") }
    let names = runtimes.map(\.name)
    guard Set(names).count == names.count, !names.contains("floor") else {
      throw HarnessError(.bench, operation: "configure", message: "runtime names must be distinct and not 'floor': \(names)")
    }
  }
}
