// Barrier: start many runtime calls at the same instant. Each call is wrapped in `sh -c ': < FIFO; exec ...'`,
// which blocks opening the FIFO until the test-bed opens its write end; then every call is released at once,
// instead of trickling out at posix_spawn's pace.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct BarrierCall: Sendable {
  public var label: String
  public var argv: [String]
  public init(_ label: String, _ argv: [String]) {
    self.label = label
    self.argv = argv
  }
}

public enum Barrier {
  public static func runTogether(
    _ calls: [BarrierCall], directory: String,
    timeout: Double = 30
  ) throws(HarnessError) -> [(BarrierCall, ProcessResult)] {
    let fifo = directory + "/barrier-\(UInt32.random(in: 0...UInt32.max))"
    guard mkfifo(fifo, 0o600) == 0 else {
      throw HarnessError(.stress, operation: "mkfifo", path: fifo, message: String(cString: strerror(errno)))
    }
    defer { unlink(fifo) }
    var spawned: [(BarrierCall, SpawnedProcess)] = []
    for call in calls {
      let argv = ["/bin/sh", "-c", ": < \"$0\"; exec \"$@\"", fifo] + call.argv
      spawned.append((call, try kit { try SpawnedProcess.spawn(argv) }))
    }
    // Every shell is blocked in open() well within this; a late one still gets through (the writer stays open).
    usleep(300_000)
    var writer: Int32 = -1
    for _ in 0..<100 {
      writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
      if writer >= 0 || errno != ENXIO { break }
      usleep(20_000)
    }
    defer { if writer >= 0 { close(writer) } }
    return spawned.map { ($0.0, $0.1.wait(timeout: timeout)) }
  }
}
