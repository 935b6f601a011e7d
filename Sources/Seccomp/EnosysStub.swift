import CSeccomp
import Glibc
import OCISpec

/// A few BPF instructions put before libseccomp's program so that a system call newer than
/// every one the profile names fails with ENOSYS instead of the default action, as runc's
/// patched filter (libcontainer/seccomp/patchbpf) does: glibc falls back from clone3,
/// openat2, faccessat2… only on ENOSYS, and an EPERM from a profile that predates the call
/// breaks programs that would run fine without it.
///
/// Per architecture in the filter ("nr > the highest number any rule names" → ENOSYS):
///
///     ld  [4]                          arch
///     jeq AUDIT_ARCH_X, 0, <next arch>
///     ld  [0]                          nr
///     jgt MAX_X, <enosys>, <filter>    (x86_64 first tells x32 calls apart by bit 30)
///     …
///     ja  <filter>                     an architecture without rules: libseccomp decides
///     ret ERRNO(ENOSYS)
///     <libseccomp's program>
///
/// runc adds the stub only for the architectures listed in the profile; hull adds it for the
/// native one too, which the filter always holds. Like runc, none is added when the default
/// action lets unknown calls through (ALLOW, LOG, TRACE) or is already ERRNO(ENOSYS).
struct EnosysStub {
  /// One audit architecture's highest syscall number: `x32` for the x32 ABI's share of
  /// x86_64 (its numbers carry bit 30), `native` for the rest.
  struct Limit {
    var audit: UInt32
    var native: UInt32?
    var x32: UInt32?
  }

  let limits: [Limit]

  init(_ spec: OCISpec.Seccomp) {
    let enosys = spec.defaultAction == "SCMP_ACT_ERRNO" && spec.defaultErrnoRet == UInt32(ENOSYS)
    guard !["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"].contains(spec.defaultAction), !enosys else {
      limits = []
      return
    }
    let x32 = seccomp_arch_resolve_name("x32")
    let x86_64 = seccomp_arch_resolve_name("x86_64")
    var tokens = [seccomp_arch_native()]
    for name in spec.architectures {
      let token = seccomp_arch_resolve_name(String(name.dropFirst("SCMP_ARCH_".count)).lowercased())
      if token != 0 && !tokens.contains(token) { tokens.append(token) }
    }
    var limits: [Limit] = []
    for token in tokens {
      var highest: Int32 = -1
      for rule in spec.syscalls {
        for name in rule.names {
          // Negative numbers are libseccomp's pseudo-syscalls (multiplexed calls).
          let number = seccomp_syscall_resolve_name_arch(token, name)
          if number > highest { highest = number }
        }
      }
      guard highest > 0 else { continue }
      let audit = token == x32 ? x86_64 : token
      let index =
        limits.firstIndex { $0.audit == audit }
        ?? {
          limits.append(Limit(audit: audit))
          return limits.count - 1
        }()
      if token == x32 { limits[index].x32 = UInt32(highest) } else { limits[index].native = UInt32(highest) }
    }
    self.limits = limits
  }

  // Classic BPF opcodes (linux/bpf_common.h).
  private static let loadWord: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
  private static let jumpEqual: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
  private static let jumpGreater: UInt16 = 0x25  // BPF_JMP | BPF_JGT | BPF_K
  private static let jumpBitsSet: UInt16 = 0x45  // BPF_JMP | BPF_JSET | BPF_K
  private static let jumpAlways: UInt16 = 0x05  // BPF_JMP | BPF_JA
  private static let returnConstant: UInt16 = 0x06  // BPF_RET | BPF_K
  private static let x32Bit: UInt32 = 1 << 30

  /// Where a jump goes: an instruction of the stub, or one of its two exits.
  private enum Target {
    case at(Int)
    case enosys, filter
  }
  private struct Instruction {
    var code: UInt16
    var k: UInt32
    var whenTrue: Target = .at(0)
    var whenFalse: Target = .at(0)
  }

  /// `program` (libseccomp's export) with the stub in front, or unchanged when there is none.
  func prepend(to program: [UInt8]) -> [UInt8] {
    guard !limits.isEmpty else { return program }
    var stub = [Instruction(code: Self.loadWord, k: 4)]
    for limit in limits {
      let check = stub.count
      stub.append(Instruction(code: Self.jumpEqual, k: limit.audit, whenTrue: .at(check + 1)))
      stub.append(Instruction(code: Self.loadWord, k: 0))
      let compareX32 = limit.x32.map {
        Instruction(code: Self.jumpGreater, k: $0, whenTrue: .enosys, whenFalse: .filter)
      }
      if limit.audit == seccomp_arch_resolve_name("x86_64") {
        // Bit 30 set: an x32 call, judged against the x32 limit or left to libseccomp.
        let split = stub.count
        let x32Target: Target = compareX32 == nil ? .filter : .at(split + (limit.native == nil ? 1 : 2))
        stub.append(
          Instruction(
            code: Self.jumpBitsSet, k: Self.x32Bit, whenTrue: x32Target,
            whenFalse: limit.native == nil ? .filter : .at(split + 1)))
        if let native = limit.native {
          stub.append(Instruction(code: Self.jumpGreater, k: native, whenTrue: .enosys, whenFalse: .filter))
        }
        if let compareX32 { stub.append(compareX32) }
      } else if let native = limit.native {
        stub.append(Instruction(code: Self.jumpGreater, k: native, whenTrue: .enosys, whenFalse: .filter))
      }
      stub[check].whenFalse = .at(stub.count)
    }
    // No architecture matched: on to libseccomp's program (past the ENOSYS return).
    stub.append(Instruction(code: Self.jumpAlways, k: 1))
    let enosys = stub.count
    let filter = enosys + 1
    var bytes: [UInt8] = []
    bytes.reserveCapacity((filter * 8) + program.count)
    for (index, instruction) in stub.enumerated() {
      func offset(_ target: Target) -> UInt8 {
        let destination: Int
        switch target {
        case .at(let at): destination = at
        case .enosys: destination = enosys
        case .filter: destination = filter
        }
        // At most a few instructions per architecture: always within a u8 jump.
        return UInt8(destination - index - 1)
      }
      let conditional = instruction.code & 0x07 == 0x05 && instruction.code != Self.jumpAlways
      append(
        &bytes, code: instruction.code, jt: conditional ? offset(instruction.whenTrue) : 0,
        jf: conditional ? offset(instruction.whenFalse) : 0, k: instruction.k)
    }
    append(&bytes, code: Self.returnConstant, jt: 0, jf: 0, k: cseccomp_act_errno(UInt32(ENOSYS)))
    return bytes + program
  }

  /// struct sock_filter in host byte order, as the kernel reads it.
  private func append(_ bytes: inout [UInt8], code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
    withUnsafeBytes(of: code) { bytes += $0 }
    bytes += [jt, jf]
    withUnsafeBytes(of: k) { bytes += $0 }
  }
}
