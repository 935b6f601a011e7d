// ProbeBuilder: compiles conformance/probe/probe.c into a static binary at run time (no binary is committed).
import DrydockKit
import Foundation

public enum ProbeBuilder {
  /// Build `source` into `output` with `cc -O2 -static`; the error names the compiler and quotes its output.
  public static func build(source: String, output: String, compiler: String? = nil) throws {
    guard FileManager.default.fileExists(atPath: source) else {
      throw HarnessError(.conformance, operation: "build probe", path: source, message: "probe source not found")
    }
    let cc = compiler ?? ProcessInfo.processInfo.environment["CC"] ?? "cc"
    guard let resolved = HostFeatures.which(cc) else {
      throw HarnessError(
        .conformance, operation: "build probe", path: source,
        message: "C compiler '\(cc)' not found (install build-essential, or set CC)")
    }
    let result: ProcessResult
    do {
      result = try ProcessRunner.run([resolved, "-O2", "-static", "-o", output, source], timeout: 120)
    } catch {
      throw HarnessError(
        .conformance, operation: "build probe", path: source, message: "cannot run \(resolved): \(error)")
    }
    guard result.succeeded else {
      throw HarnessError(
        .conformance, operation: "build probe", path: source,
        message: "\(resolved) -O2 -static failed: \(result.stderrText.prefix(800))")
    }
  }
}
