// Floor: builds the bench's two C helpers (cc -O2 -static) into the work directory.
//   floor    (bench/floor/floor.c)    the kernel work of a container start, run like a runtime
//   measure  (bench/floor/measure.c)  runs a command and reports its own wall, CPU and peak RSS
import DrydockKit
import Foundation

public enum Floor {
  /// <repository>/bench/floor.
  public static func defaultSourceDirectory() -> String? {
    BundleFactory.repositoryRoot().map { $0 + "/bench/floor" }
  }

  /// Compiles <sourceDirectory>/<program>.c to <directory>/<program>; a HarnessError naming the compiler when
  /// it is missing or the compile fails (with its stderr).
  public static func build(
    _ program: String, sourceDirectory: String, into directory: String,
    compiler: String = "cc"
  ) throws -> (path: String, description: String) {
    let source = "\(sourceDirectory)/\(program).c"
    guard let cc = HostInfo.resolveExecutable(compiler) else {
      throw HarnessError(
        .bench, operation: "build \(program)", path: source,
        message: "C compiler '\(compiler)' not found in PATH (install build-essential)")
    }
    let output = "\(directory)/\(program)"
    let argv = [cc, "-O2", "-static", "-o", output, source]
    let result: ProcessResult
    do { result = try ProcessRunner.run(argv, timeout: 120) } catch let error as HarnessError {
      throw error.relabeled(.bench)
    }
    guard result.succeeded else {
      throw HarnessError(
        .bench, operation: "build \(program)", path: source,
        message: "\(cc) failed: \(result.stderrText.prefix(2000)) (static glibc comes with libc6-dev)")
    }
    return (output, argv.joined(separator: " "))
  }

  /// With a limit, floor writes it (and memory+swap equal to it) into its memory cgroup before attaching.
  public static func command(
    floor: String, rootfs: String, cgroupsPath: String, hostname: String = "busybox",
    memoryLimitBytes: Int? = nil
  ) -> [String] {
    [floor, rootfs, cgroupsPath, hostname] + (memoryLimitBytes.map { [String($0)] } ?? [])
  }
}

public struct MeasuredUsage: Sendable, Equatable {
  public var wallNanoseconds: UInt64
  public var userNanoseconds: UInt64
  public var systemNanoseconds: UInt64
  public var maxRSSKilobytes: Int
  /// Absent from a measure built before they were.
  public var pageFaults: Int? = nil
  public var contextSwitches: Int? = nil

  /// The line `measure` wrote; nil when absent or malformed.
  public static func read(_ path: String) -> MeasuredUsage? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let fields = text.split(whereSeparator: \.isWhitespace)
    guard fields.count == 4 || fields.count == 6, let wall = UInt64(fields[0]), let user = UInt64(fields[1]),
      let system = UInt64(fields[2]), let rss = Int(fields[3])
    else { return nil }
    var usage = MeasuredUsage(
      wallNanoseconds: wall, userNanoseconds: user, systemNanoseconds: system, maxRSSKilobytes: rss)
    if fields.count == 6 {
      guard let faults = Int(fields[4]), let switches = Int(fields[5]) else { return nil }
      usage.pageFaults = faults
      usage.contextSwitches = switches
    }
    return usage
  }
}
