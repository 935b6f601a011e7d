// config-linux.md "seccomp": the profile is kept as written (names, not numbers);
// the Seccomp module compiles it with libseccomp in the parent.

public struct Seccomp: Sendable, Equatable {
  public var defaultAction: String
  /// errno for a default SCMP_ACT_ERRNO (EPERM when nil).
  public var defaultErrnoRet: UInt32?
  /// "SCMP_ARCH_X86_64", ...
  public var architectures: [String]
  /// "SECCOMP_FILTER_FLAG_LOG", ...
  public var flags: [String]
  /// Unix socket that receives the notify fd (SCMP_ACT_NOTIFY).
  public var listenerPath: String?
  public var listenerMetadata: String?
  public var syscalls: [Syscall]

  public init(
    defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String] = [],
    flags: [String] = [], listenerPath: String? = nil, listenerMetadata: String? = nil,
    syscalls: [Syscall] = []
  ) {
    self.defaultAction = defaultAction
    self.defaultErrnoRet = defaultErrnoRet
    self.architectures = architectures
    self.flags = flags
    self.listenerPath = listenerPath
    self.listenerMetadata = listenerMetadata
    self.syscalls = syscalls
  }

  init(_ f: Fields) throws(SpecError) {
    defaultAction = try f.requiredString("defaultAction")
    defaultErrnoRet = try f.integer("defaultErrnoRet")
    architectures = try f.strings("architectures")
    flags = try f.strings("flags")
    listenerPath = try f.string("listenerPath")
    listenerMetadata = try f.string("listenerMetadata")
    syscalls = try f.objects("syscalls", Syscall.init)
  }

  public static let actions = [
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
  ]
  public static let operators = [
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
  ]
  public static let knownFlags = [
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  ]
  public static let architectureNames = [
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
  ]
}

public struct Syscall: Sendable, Equatable {
  public var names: [String]
  public var action: String
  public var errnoRet: UInt32?
  public var args: [SyscallArg]

  public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SyscallArg] = []) {
    self.names = names
    self.action = action
    self.errnoRet = errnoRet
    self.args = args
  }

  init(_ f: Fields) throws(SpecError) {
    names = try f.strings("names")
    action = try f.requiredString("action")
    errnoRet = try f.integer("errnoRet")
    args = try f.objects("args") { (a) throws(SpecError) in
      SyscallArg(
        index: try a.requiredInteger("index"), value: try a.requiredInteger("value"),
        valueTwo: try a.integer("valueTwo") ?? 0, op: try a.requiredString("op"))
    }
  }
}

public struct SyscallArg: Sendable, Equatable {
  /// Argument position, 0 to 5.
  public var index: UInt32
  public var value: UInt64
  /// The mask's operand for SCMP_CMP_MASKED_EQ.
  public var valueTwo: UInt64
  public var op: String
  public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: String) {
    self.index = index
    self.value = value
    self.valueTwo = valueTwo
    self.op = op
  }
}
