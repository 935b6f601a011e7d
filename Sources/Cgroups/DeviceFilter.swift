import Glibc
import LinuxKit

/// cgroup v2 device rules: a BPF_PROG_TYPE_CGROUP_DEVICE program, generated from the
/// rules as runc's devicefilter does, loaded with bpf(2) and attached to the cgroup.
///
/// The program sees (access << 16 | type, major, minor). Rules are checked last to
/// first, the first match decides, which gives v1's "later rules win"; no match means
/// allow (a new v1 cgroup inherits "a *:* rwm"; the spec's rules start with deny-all).
/// An allow rule matches when the requested access is a subset of its access; a deny
/// rule when they overlap, so denying "w" also denies an "rw" open. Known difference
/// from v1: two allow rules are not merged ("c 1:3 r" + "c 1:3 w" do not allow "rw").
enum DeviceFilter {
  // bpf(2) commands, program and attach types (linux/bpf.h).
  static let BPF_PROG_LOAD: Int32 = 5
  static let BPF_PROG_ATTACH: Int32 = 8
  static let BPF_PROG_TYPE_CGROUP_DEVICE: UInt32 = 15
  static let BPF_CGROUP_DEVICE: UInt32 = 6
  static let BPF_F_ALLOW_MULTI: UInt32 = 2

  /// Loads the program for `rules` and attaches it to `cgroupDirectory`.
  static func attach(_ rules: [CgroupLimits.DeviceRule], cgroupDirectory: String) throws(CgroupError) {
    let field = DevicesController.field
    let program = try assemble(rules)
    var log = [UInt8](repeating: 0, count: 0)
    var progFD = load(program, log: &log)
    if progFD < 0 {
      // Again with the verifier's log, whose last line says what it refused.
      let e = errno
      log = [UInt8](repeating: 0, count: 65536)
      progFD = load(program, log: &log)
      if progFD >= 0 { close(progFD) }
      let text = String(decoding: log.prefix { $0 != 0 }, as: UTF8.self)
      // The last line is a statistics summary; the reason is the line before it.
      let lines = text.split(separator: "\n").filter { !$0.hasPrefix("processed ") }
      let last = lines.last.map(String.init)
      throw CgroupError(
        "set \(field): load the cgroup v2 device program (bpf BPF_PROG_LOAD)", "", errno: e,
        detail: last.map { "\(SystemError.describe(e)) (verifier: \($0))" })
    }
    defer { close(progFD) }
    let cgroupFD = Files.open(cgroupDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard cgroupFD >= 0 else { throw CgroupError("set \(field): open", cgroupDirectory, errno: errno) }
    defer { close(cgroupFD) }
    // The kernel keeps the program attached after our fd closes, until the cgroup goes.
    var attr = [UInt8](repeating: 0, count: 128)
    put32(&attr, 0, UInt32(cgroupFD))
    put32(&attr, 4, UInt32(progFD))
    put32(&attr, 8, BPF_CGROUP_DEVICE)
    put32(&attr, 12, BPF_F_ALLOW_MULTI)
    let rc = BPF.call(BPF_PROG_ATTACH, &attr)
    if rc < 0 {
      throw CgroupError(
        "set \(field): attach the device program (bpf BPF_PROG_ATTACH) to", cgroupDirectory, errno: errno)
    }
  }

  /// BPF_PROG_LOAD; with a non-empty `log`, the verifier writes its log there.
  static func load(_ program: [UInt64], log: inout [UInt8]) -> Int32 {
    let license: [CChar] = Array("GPL".utf8CString)
    var attr = [UInt8](repeating: 0, count: 128)
    let logCount = log.count
    return program.withUnsafeBufferPointer { insns in
      license.withUnsafeBufferPointer { lic in
        log.withUnsafeMutableBufferPointer { logBuffer in
          put32(&attr, 0, BPF_PROG_TYPE_CGROUP_DEVICE)
          put32(&attr, 4, UInt32(insns.count))
          put64(&attr, 8, UInt64(UInt(bitPattern: insns.baseAddress)))
          put64(&attr, 16, UInt64(UInt(bitPattern: lic.baseAddress)))
          if logCount > 0 {
            put32(&attr, 24, 1)
            put32(&attr, 28, UInt32(logCount))
            put64(&attr, 32, UInt64(UInt(bitPattern: logBuffer.baseAddress)))
          }
          var fd: Int
          repeat {
            fd = BPF.call(BPF_PROG_LOAD, &attr)
          } while fd < 0 && errno == EAGAIN
          return Int32(fd)
        }
      }
    }
  }

  // MARK: assembling

  /// One eBPF instruction as the kernel's 8-byte struct bpf_insn (little-endian).
  static func insn(_ code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) -> UInt64 {
    UInt64(code) | UInt64(dst | src << 4) << 8 | UInt64(UInt16(bitPattern: off)) << 16 | UInt64(UInt32(bitPattern: imm))
      << 32
  }

  static let ldxW: UInt8 = 0x61, and32K: UInt8 = 0x54, rsh32K: UInt8 = 0x74, mov32X: UInt8 = 0xbc,
    mov32K: UInt8 = 0xb4, jneK: UInt8 = 0x55, jneX: UInt8 = 0x5d, jeqK: UInt8 = 0x15, exit: UInt8 = 0x95

  static func assemble(_ rules: [CgroupLimits.DeviceRule]) throws(CgroupError) -> [UInt64] {
    // R2 = type, R3 = access, R4 = major, R5 = minor (R1 = ctx, then scratch).
    var program: [UInt64] = [
      insn(ldxW, dst: 2, src: 1, off: 0), insn(and32K, dst: 2, imm: 0xFFFF),
      insn(ldxW, dst: 3, src: 1, off: 0), insn(rsh32K, dst: 3, imm: 16),
      insn(ldxW, dst: 4, src: 1, off: 4), insn(ldxW, dst: 5, src: 1, off: 8),
    ]
    for (index, rule) in rules.enumerated().reversed() {
      program += try block(rule, index: index)
      // A rule matching everything ends the program: the verifier rejects unreachable code.
      if rule.type == "a" && Set(rule.access) == Set("rwm") { return program }
    }
    program += [insn(mov32K, dst: 0, imm: 1), insn(exit)]
    return program
  }

  /// The checks of one rule; each failed check jumps past the block's end.
  static func block(_ rule: CgroupLimits.DeviceRule, index: Int) throws(CgroupError) -> [UInt64] {
    var access: Int32 = 0
    for c in rule.access {
      switch c {
      case "m": access |= 1
      case "r": access |= 2
      case "w": access |= 4
      default:
        throw .invalid(
          "\(DevicesController.field)[\(index)].access", "\"\(rule.access)\" is not a combination of r, w, m")
      }
    }
    // Jumps are emitted with a placeholder and fixed once the block's length is known.
    var checks: [(code: UInt8, dst: UInt8, src: UInt8, imm: Int32)] = []
    var code: [UInt64] = []
    if rule.type != "a" {
      let type: Int32 = rule.type == "b" ? 1 : rule.type == "c" ? 2 : -1
      guard type > 0 else {
        throw .invalid("\(DevicesController.field)[\(index)].type", "\"\(rule.type)\" is not a, b or c")
      }
      checks.append((jneK, 2, 0, type))
    }
    if rule.type != "a" {
      if let major = rule.major { checks.append((jneK, 4, 0, Int32(truncatingIfNeeded: major))) }
      if let minor = rule.minor { checks.append((jneK, 5, 0, Int32(truncatingIfNeeded: minor))) }
    }
    let rwm: Int32 = 7
    var body: [(UInt64?, (UInt8, UInt8, UInt8, Int32)?)] = []
    for c in checks { body.append((nil, c)) }
    if access != rwm {
      // R1 = R3 & access. allow: skip unless R1 == R3 (subset); deny: skip if R1 == 0.
      body.append((insn(mov32X, dst: 1, src: 3), nil))
      body.append((insn(and32K, dst: 1, imm: access), nil))
      body.append((nil, rule.allow ? (jneX, 1, 3, 0) : (jeqK, 1, 0, 0)))
    }
    body.append((insn(mov32K, dst: 0, imm: rule.allow ? 1 : 0), nil))
    body.append((insn(exit), nil))
    let end = body.count
    for (i, item) in body.enumerated() {
      if let fixed = item.0 {
        code.append(fixed)
        continue
      }
      let (op, dst, src, imm) = item.1!
      code.append(insn(op, dst: dst, src: src, off: Int16(end - (i + 1)), imm: imm))
    }
    return code
  }

  static func put32(_ a: inout [UInt8], _ at: Int, _ v: UInt32) {
    for i in 0..<4 { a[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
  }

  static func put64(_ a: inout [UInt8], _ at: Int, _ v: UInt64) {
    for i in 0..<8 { a[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
  }
}
