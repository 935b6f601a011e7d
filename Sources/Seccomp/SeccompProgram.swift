import CSeccomp
import Glibc
import LinuxKit
import OCISpec

/// A compiled linux.seccomp filter: raw classic-BPF instructions plus the seccomp(2)
/// flags to load them with.
///
/// Compiled in the parent, before the clone, because libseccomp allocates, probes the
/// kernel and may take locks; the child then only makes one seccomp(2) call (`load`) as
/// its last step before execve, so the profile needs only the workload's syscalls.
public struct SeccompProgram: Sendable {
  /// struct sock_filter instructions as the kernel reads them (8 bytes each, host order).
  public let bpf: [UInt8]
  /// SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER).
  public let flags: UInt32
  /// True when a rule uses SCMP_ACT_NOTIFY: `load` then asks for a listener fd, which the
  /// runtime sends to linux.seccomp.listenerPath (see SeccompNotify).
  public let usesNotify: Bool
  /// What the profile asked for but this host cannot do, ignored as runc and crun do:
  /// syscall names unknown to libseccomp, architectures it does not know, unsupported flags.
  public let warnings: [String]

  public var instructionCount: Int { bpf.count / 8 }

  /// The kernel's BPF_MAXINSNS: a longer program is refused by seccomp(2).
  @usableFromInline static let maxInstructions = 4096

  public init(bpf: [UInt8], flags: UInt32, usesNotify: Bool, warnings: [String] = []) {
    self.bpf = bpf
    self.flags = flags
    self.usesNotify = usesNotify
    self.warnings = warnings
  }

  /// Compiles `seccomp` (the config's linux.seccomp) with libseccomp and exports the BPF.
  /// Errors name the config field; syscall names this libseccomp does not know become
  /// warnings, since the spec lets a runtime ignore them.
  public static func compile(_ seccomp: OCISpec.Seccomp) throws(SeccompError) -> SeccompProgram {
    try compile(seccomp, optimize: 1)
  }

  /// `optimize`: libseccomp's SCMP_FLTATR_CTL_OPTIMIZE, 1 (a linear list of syscalls, the
  /// quickest to build) or 2 (a binary tree, the quickest to load and run).
  static func compile(_ seccomp: OCISpec.Seccomp, optimize: UInt32) throws(SeccompError) -> SeccompProgram {
    var compiler = try Compiler(seccomp, optimize: optimize)
    defer { compiler.release() }
    try compiler.addArchitectures()
    try compiler.addRules()
    let flags = try compiler.filterFlags()
    let bpf = EnosysStub(seccomp).prepend(to: try compiler.export())
    guard bpf.count / 8 <= SeccompProgram.maxInstructions else {
      throw SeccompError(
        operation: "compile", field: Compiler.root, errno: E2BIG,
        reason:
          "the filter has \(bpf.count / 8) instructions, the kernel loads at most \(SeccompProgram.maxInstructions)")
    }
    return SeccompProgram(bpf: bpf, flags: flags, usesNotify: compiler.usesNotify, warnings: compiler.warnings)
  }

  /// Loads the filter into the calling thread with seccomp(2): the child's last step
  /// before execve. No libseccomp and no allocation here, so it is safe after a clone
  /// from a process that was multi-threaded. The caller has set no_new_privs, or holds
  /// CAP_SYS_ADMIN in its user namespace. Returns the listener fd when `usesNotify`, else -1.
  public func load() throws(SeccompError) -> Int32 { try load(using: LinuxSyscalls()) }

  /// `load()` through `kernel` (the container's init passes its own, see LinuxKit.Syscalls).
  @inlinable
  public func load<S: Syscalls>(using kernel: S) throws(SeccompError) -> Int32 {
    // A program built with `init(bpf:...)` is checked here: a length that does not fit
    // sock_fprog's u16 would otherwise load a truncated, weaker filter.
    guard bpf.count % 8 == 0, instructionCount > 0, instructionCount <= SeccompProgram.maxInstructions else {
      throw SeccompError(
        operation: "seccomp(SECCOMP_SET_MODE_FILTER)", field: "linux.seccomp", errno: EINVAL,
        reason: "\(bpf.count) bytes is not a program of 1 to \(SeccompProgram.maxInstructions) instructions")
    }
    let rc = kernel.loadSeccompFilter(flags: flags, instructions: bpf)
    if rc < 0 {
      let errno = Glibc.errno
      throw SeccompError(
        operation: "seccomp(SECCOMP_SET_MODE_FILTER)", field: "linux.seccomp", errno: errno,
        reason: errno == EACCES ? "permission denied (no_new_privs unset and no CAP_SYS_ADMIN)" : nil)
    }
    if usesNotify { return rc }
    // Without NEW_LISTENER a positive result is the id of a thread TSYNC could not move.
    if rc > 0 {
      throw SeccompError(
        operation: "seccomp(SECCOMP_SET_MODE_FILTER)", field: "linux.seccomp.flags",
        reason: "SECCOMP_FILTER_FLAG_TSYNC could not synchronize thread \(rc)")
    }
    return -1
  }
}

/// One libseccomp context while a profile is turned into rules; `release` frees it.
struct Compiler {
  let spec: OCISpec.Seccomp
  let ctx: scmp_filter_ctx
  let defaultAction: UInt32
  var usesNotify = false
  var warnings: [String] = []
  static let root = "linux.seccomp"

  /// SCMP_FLTATR_CTL_OPTIMIZE for cached programs (see SeccompCache.swift).
  static let binaryTreeLevel: UInt32 = 2

  init(_ spec: OCISpec.Seccomp, optimize: UInt32) throws(SeccompError) {
    self.spec = spec
    let field = "\(Compiler.root).defaultAction"
    // libseccomp refuses it, and a listener that must answer every syscall, including the
    // runtime's own exec, would deadlock the start (runc refuses it too).
    if spec.defaultAction == "SCMP_ACT_NOTIFY" {
      throw SeccompError(operation: "compile", field: field, reason: "SCMP_ACT_NOTIFY cannot be the default action")
    }
    defaultAction = try Names.action(spec.defaultAction, errnoRet: spec.defaultErrnoRet, field: field)
    guard let ctx = seccomp_init(defaultAction) else {
      throw SeccompError(
        operation: "seccomp_init", field: field, errno: EINVAL,
        reason: "libseccomp refused \(spec.defaultAction) (not supported by this kernel?)")
    }
    self.ctx = ctx
    // no_new_privs belongs to the runtime (process.noNewPrivileges): loading must not set it.
    var rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
    if rc == 0 && optimize != 1 { rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize) }
    if rc < 0 {
      seccomp_release(ctx)
      throw SeccompError(operation: "seccomp_attr_set", field: Compiler.root, errno: -rc)
    }
  }

  func release() { seccomp_release(ctx) }

  /// The native architecture is always in a new context; listed ones are added next to it.
  mutating func addArchitectures() throws(SeccompError) {
    for (i, name) in spec.architectures.enumerated() {
      let field = "\(Compiler.root).architectures[\(i)]"
      guard let token = try Names.architecture(name, field: field) else {
        warnings.append("\(field): architecture \(name) is unknown to libseccomp \(Compiler.version), ignored")
        continue
      }
      let rc = seccomp_arch_add(ctx, token)
      if rc < 0 && rc != -EEXIST {
        throw SeccompError(operation: "seccomp_arch_add", field: field, errno: -rc)
      }
    }
  }

  mutating func addRules() throws(SeccompError) {
    for (i, syscall) in spec.syscalls.enumerated() {
      let field = "\(Compiler.root).syscalls[\(i)]"
      let action = try Names.action(syscall.action, errnoRet: syscall.errnoRet, field: "\(field).action")
      if syscall.errnoRet != nil && syscall.action != "SCMP_ACT_ERRNO" && syscall.action != "SCMP_ACT_TRACE" {
        warnings.append("\(field).errnoRet: only used with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, ignored")
      }
      let groups = try conditionGroups(syscall.args, field: field)
      // libseccomp refuses a rule that repeats the default action; it would change nothing.
      if action == defaultAction { continue }
      for (j, name) in syscall.names.enumerated() {
        let nameField = "\(field).names[\(j)]"
        let number = seccomp_syscall_resolve_name(name)
        if number == __NR_SCMP_ERROR {
          warnings.append("\(nameField): system call \"\(name)\" is unknown to libseccomp \(Compiler.version), ignored")
          continue
        }
        for var group in groups {
          let rc = group.withUnsafeMutableBufferPointer { conditions in
            seccomp_rule_add_array(ctx, action, number, UInt32(conditions.count), conditions.baseAddress)
          }
          if rc < 0 {
            // EEXIST: the same syscall and arguments already have a different action.
            let why =
              rc == -EEXIST
              ? "an earlier rule has the same arguments and another action"
              : SystemError.describe(-rc)
            throw SeccompError(
              operation: "seccomp_rule_add", field: nameField, errno: -rc,
              reason: "\(name) \(syscall.action): \(why)")
          }
        }
        if syscall.action == "SCMP_ACT_NOTIFY" {
          // The process hands its listener to the runtime with write(2) (see SeccompNotify):
          // notified, it would wait for an agent that never gets the listener. runc refuses it too.
          if name == "write" {
            throw SeccompError(
              operation: "compile", field: nameField,
              reason: "SCMP_ACT_NOTIFY cannot be used for write (the runtime hands the listener over with it)")
          }
          usesNotify = true
        }
      }
    }
  }

  /// The comparisons of one OCI rule as libseccomp rules. Conditions of one rule are ANDed,
  /// but libseccomp cannot AND two on the same argument; like runc, such a rule is split
  /// into one rule per condition (then ORed). No args: one unconditional rule.
  func conditionGroups(_ args: [SyscallArg], field: String) throws(SeccompError) -> [[scmp_arg_cmp]] {
    var conditions: [scmp_arg_cmp] = []
    var seen: UInt8 = 0
    var repeated = false
    for (k, arg) in args.enumerated() {
      let argField = "\(field).args[\(k)]"
      guard arg.index < 6 else {
        throw SeccompError(
          operation: "compile", field: "\(argField).index",
          reason: "\(arg.index) is not an argument position (0 to 5)")
      }
      let op = try Names.compare(arg.op, field: "\(argField).op")
      if seen & (1 << arg.index) != 0 { repeated = true }
      seen |= 1 << arg.index
      // For SCMP_CMP_MASKED_EQ, libseccomp's datum_a is the mask (OCI value) and datum_b
      // the expected value (OCI valueTwo); other operators ignore datum_b.
      conditions.append(scmp_arg_cmp(arg: arg.index, op: op, datum_a: arg.value, datum_b: arg.valueTwo))
    }
    if repeated { return conditions.map { [$0] } }
    return [conditions]
  }

  /// The seccomp(2) flags: the spec's, plus NEW_LISTENER for notify. Flags the kernel
  /// does not know are found here, in the parent, with one probing call.
  mutating func filterFlags() throws(SeccompError) -> UInt32 {
    var flags: UInt32 = 0
    for (i, name) in spec.flags.enumerated() {
      flags |= try Names.flag(name, field: "\(Compiler.root).flags[\(i)]")
    }
    let waitKillable = cseccomp_flag_wait_killable_recv()
    if usesNotify {
      flags |= cseccomp_flag_new_listener()
      // The kernel refuses TSYNC with NEW_LISTENER unless TSYNC failures report ESRCH
      // (the return value is the listener fd, not a thread id).
      if flags & cseccomp_flag_tsync() != 0 { flags |= cseccomp_flag_tsync_esrch() }
    } else if flags & waitKillable != 0 {
      // The kernel accepts WAIT_KILLABLE_RECV only with a listener.
      flags &= ~waitKillable
      warnings.append("\(Compiler.root).flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule")
    }
    guard flags != 0, SeccompKernel.acceptsFilterFlags(flags) == 0, Glibc.errno == EINVAL else { return flags }
    if flags & waitKillable != 0 {
      // Linux < 5.19: the notify still works, only signals interrupt the wait as before.
      flags &= ~waitKillable
      warnings.append(
        "\(Compiler.root).flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by this kernel, ignored")
      if SeccompKernel.acceptsFilterFlags(flags) != 0 || Glibc.errno != EINVAL { return flags }
    }
    throw SeccompError(
      operation: "seccomp(SECCOMP_SET_MODE_FILTER)", field: "\(Compiler.root).flags", errno: EINVAL,
      reason: "the kernel does not accept filter flags 0x\(String(flags, radix: 16))")
  }

  /// seccomp_export_bpf writes to an fd; a memfd takes a program of any size (a pipe
  /// would block past its buffer) and is read back in one pread.
  func export() throws(SeccompError) -> [UInt8] {
    let fd = SeccompKernel.memfd("hull-seccomp")
    if fd < 0 { throw SeccompError(operation: "memfd_create", field: Compiler.root, errno: Glibc.errno) }
    defer { close(fd) }
    let rc = seccomp_export_bpf(ctx, fd)
    if rc < 0 { throw SeccompError(operation: "seccomp_export_bpf", field: Compiler.root, errno: -rc) }
    let size = Int(lseek(fd, 0, SEEK_END))
    if size < 0 { throw SeccompError(operation: "lseek", field: Compiler.root, errno: Glibc.errno) }
    guard size / 8 <= SeccompProgram.maxInstructions else {
      throw SeccompError(
        operation: "compile", field: Compiler.root, errno: E2BIG,
        reason: "the filter has \(size / 8) instructions, the kernel loads at most \(SeccompProgram.maxInstructions)")
    }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      var done = 0
      while done < size {
        let n = pread(fd, buffer.baseAddress! + done, size - done, off_t(done))
        if n < 0 && Glibc.errno == EINTR { continue }
        if n <= 0 {
          failure = n < 0 ? Glibc.errno : EIO
          break
        }
        done += n
      }
      count = done
    }
    if failure != 0 { throw SeccompError(operation: "read", field: Compiler.root, errno: failure) }
    return bytes
  }

  /// "2.5.4": named in warnings, since what is unknown depends on the library version.
  static var version: String {
    guard let v = seccomp_version() else { return "?" }
    return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
  }
}
