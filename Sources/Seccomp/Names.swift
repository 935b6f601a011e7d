import CSeccomp
import OCISpec

// The spec's names (strings in config.json) mapped to libseccomp and kernel values.
// Kept apart from the compiler so each mapping reads like the table in config-linux.md.

enum Names {
  /// The libseccomp action for an OCI action name. ERRNO and TRACE carry `errnoRet`,
  /// EPERM when absent, as runc does (for TRACE the tracer sees it as the event message).
  static func action(_ name: String, errnoRet: UInt32?, field: String) throws(SeccompError) -> UInt32 {
    switch name {
    case "SCMP_ACT_KILL": return cseccomp_act_kill()  // = KILL_THREAD, like runc and crun
    case "SCMP_ACT_KILL_THREAD": return cseccomp_act_kill_thread()
    case "SCMP_ACT_KILL_PROCESS": return cseccomp_act_kill_process()
    case "SCMP_ACT_TRAP": return cseccomp_act_trap()
    case "SCMP_ACT_ERRNO": return cseccomp_act_errno(try errnoValue(errnoRet, field))
    case "SCMP_ACT_TRACE": return cseccomp_act_trace(try errnoValue(errnoRet, field))
    case "SCMP_ACT_ALLOW": return cseccomp_act_allow()
    case "SCMP_ACT_LOG": return cseccomp_act_log()
    case "SCMP_ACT_NOTIFY": return cseccomp_act_notify()
    default:
      throw SeccompError(
        operation: "compile", field: field,
        reason: "unknown seccomp action \"\(name)\" (one of \(OCISpec.Seccomp.actions.joined(separator: ", ")))")
    }
  }

  /// The action's return data is 16 bits: a larger errnoRet would be silently truncated
  /// by SCMP_ACT_ERRNO(x), turning e.g. 65537 into 1 (EPERM), so it is refused.
  private static func errnoValue(_ errnoRet: UInt32?, _ field: String) throws(SeccompError) -> UInt32 {
    let value = errnoRet ?? UInt32(EPERM)
    guard value <= 0xffff else {
      throw SeccompError(
        operation: "compile", field: field,
        reason: "errnoRet \(value) does not fit the 16-bit seccomp return data")
    }
    return value
  }

  static func compare(_ op: String, field: String) throws(SeccompError) -> scmp_compare {
    switch op {
    case "SCMP_CMP_NE": return SCMP_CMP_NE
    case "SCMP_CMP_LT": return SCMP_CMP_LT
    case "SCMP_CMP_LE": return SCMP_CMP_LE
    case "SCMP_CMP_EQ": return SCMP_CMP_EQ
    case "SCMP_CMP_GE": return SCMP_CMP_GE
    case "SCMP_CMP_GT": return SCMP_CMP_GT
    case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
    default:
      throw SeccompError(
        operation: "compile", field: field,
        reason: "unknown seccomp operator \"\(op)\" (one of \(OCISpec.Seccomp.operators.joined(separator: ", ")))")
    }
  }

  /// libseccomp's token for "SCMP_ARCH_X86_64"; nil for a spec name this libseccomp does
  /// not know (LOONGARCH64 on 2.5.4), which the caller turns into a warning.
  static func architecture(_ name: String, field: String) throws(SeccompError) -> UInt32? {
    guard OCISpec.Seccomp.architectureNames.contains(name) else {
      throw SeccompError(operation: "compile", field: field, reason: "unknown architecture \"\(name)\"")
    }
    // libseccomp's names are the spec's suffix in lower case ("x86_64", "mipsel64n32").
    let token = seccomp_arch_resolve_name(String(name.dropFirst("SCMP_ARCH_".count)).lowercased())
    return token == 0 ? nil : token
  }

  /// The kernel's SECCOMP_FILTER_FLAG_* bit for a spec flag name.
  static func flag(_ name: String, field: String) throws(SeccompError) -> UInt32 {
    switch name {
    case "SECCOMP_FILTER_FLAG_TSYNC": return cseccomp_flag_tsync()
    case "SECCOMP_FILTER_FLAG_LOG": return cseccomp_flag_log()
    case "SECCOMP_FILTER_FLAG_SPEC_ALLOW": return cseccomp_flag_spec_allow()
    case "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": return cseccomp_flag_wait_killable_recv()
    default:
      throw SeccompError(operation: "compile", field: field, reason: "unknown seccomp flag \"\(name)\"")
    }
  }
}
