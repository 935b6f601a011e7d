import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

/// `hull update [--resources FILE|-] [runc's flags] ID`: changes a live container's
/// limits. As in runc, flags override the document, and a flag of 0 means "not set"
/// (docker sends every field, zeros included).
struct UpdateCommand: HullCommand {
  static let name = "update"
  static let summary = "update a container's resource limits (--resources FILE or -, or runc's flags)"
  static let valueFlags = [
    "resources", "memory", "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp",
    "cpu-shares", "cpu-quota", "cpu-period", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle",
    "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight", "l3-cache-schema", "mem-bw-schema",
  ]
  /// Second spellings: runc's is --cpu-share, docker's docs say --cpu-shares.
  static let aliases = ["resources": "r", "cpu-shares": "cpu-share"]
  static let flags: [Arguments.Flag] = valueFlags.map {
    .init(names: [$0] + (aliases[$0].map { [$0] } ?? []), takesValue: true)
  }

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    var r = Resources()
    if let file = args.value("resources") {
      let bytes: [UInt8]
      do { bytes = file == "-" ? try Files.readAll(0, path: "stdin") : try Files.read(file) } catch {
        throw RuntimeError(error, context: "update container \(id): --resources")
      }
      do { r = try Resources.parse(bytes) } catch { throw RuntimeError(error, file: file == "-" ? "stdin" : file) }
    }
    // runc's Intel RDT flags: refused for the reason a config's linux.intelRdt is.
    for flag in ["l3-cache-schema", "mem-bw-schema"] where args.value(flag) != nil {
      throw RuntimeError(
        "update container \(id)", reason: "--\(flag): Intel RDT (linux.intelRdt) is not supported by hull",
        errno: ENOTSUP)
    }
    try applyFlags(args, to: &r)
    for warning in try ContainerOps(store: context.store).update(id, resources: r) { context.log.warning(warning) }
    return 0
  }

  /// runc's update flags onto the document; 0 and "" leave a field as it is.
  static func applyFlags(_ args: Arguments, to r: inout Resources) throws(RuntimeError) {
    func bytes(_ flag: String) throws(RuntimeError) -> Int64? {
      guard let text = args.value(flag) else { return nil }
      guard let v = parseBytes(text) else { throw bad(flag, text, "a size such as 536870912, 512m or -1") }
      return v == 0 ? nil : v
    }
    func signed(_ flag: String) throws(RuntimeError) -> Int64? {
      guard let text = args.value(flag) else { return nil }
      guard let v = Int64(text) else { throw bad(flag, text, "an integer") }
      return v == 0 ? nil : v
    }
    func unsigned(_ flag: String) throws(RuntimeError) -> UInt64? {
      guard let text = args.value(flag) else { return nil }
      guard let v = UInt64(text) else { throw bad(flag, text, "a non-negative integer") }
      return v == 0 ? nil : v
    }
    func text(_ flag: String) -> String? { args.value(flag).flatMap { $0.isEmpty ? nil : $0 } }

    var memory = r.memory ?? Memory()
    if let v = try bytes("memory") { memory.limit = v }
    if let v = try bytes("memory-swap") { memory.swap = v }
    if let v = try bytes("memory-reservation") { memory.reservation = v }
    if let v = try bytes("kernel-memory") { memory.kernel = v }
    if let v = try bytes("kernel-memory-tcp") { memory.kernelTCP = v }
    if memory != Memory() { r.memory = memory }

    var cpu = r.cpu ?? CPU()
    if let v = try unsigned("cpu-shares") { cpu.shares = v }
    if let v = try signed("cpu-quota") { cpu.quota = v }
    if let v = try unsigned("cpu-period") { cpu.period = v }
    if let v = try unsigned("cpu-rt-period") { cpu.realtimePeriod = v }
    if let v = try signed("cpu-rt-runtime") { cpu.realtimeRuntime = v }
    if let t = args.value("cpu-idle") {
      guard let v = Int64(t) else { throw bad("cpu-idle", t, "0 or 1") }
      cpu.idle = v
    }
    if let v = text("cpuset-cpus") { cpu.cpus = v }
    if let v = text("cpuset-mems") { cpu.mems = v }
    if cpu != CPU() { r.cpu = cpu }

    if let v = try signed("pids-limit") { r.pids = Pids(limit: v) }
    if let t = args.value("blkio-weight") {
      guard let v = UInt16(t), v == 0 || (10...1000).contains(v) else {
        throw bad("blkio-weight", t, "a weight from 10 to 1000")
      }
      if v != 0 {
        var b = r.blockIO ?? BlockIO()
        b.weight = v
        r.blockIO = b
      }
    }
  }

  static func bad(_ flag: String, _ value: String, _ expected: String) -> RuntimeError {
    RuntimeError("update", reason: "--\(flag) \"\(value)\": expected \(expected)", errno: EINVAL)
  }

  /// Bytes with an optional binary unit, as docker's RAMInBytes: "1024", "512k", "64m",
  /// "1g", "1GiB", "2tb"; "-1" means unlimited.
  static func parseBytes(_ text: String) -> Int64? {
    if text == "-1" { return -1 }
    var s = Substring(text.lowercased())
    if s.hasSuffix("b") { s = s.dropLast() }
    if s.hasSuffix("i") { s = s.dropLast() }
    var shift: Int64 = 0
    switch s.last {
    case "k": shift = 10
    case "m": shift = 20
    case "g": shift = 30
    case "t": shift = 40
    case "p": shift = 50
    default: break
    }
    if shift != 0 { s = s.dropLast() }
    while s.last == " " { s = s.dropLast() }
    guard let n = Int64(s), n >= 0, n <= Int64.max >> shift else { return nil }
    return n << shift
  }
}
