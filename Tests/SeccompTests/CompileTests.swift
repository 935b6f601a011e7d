import Glibc
import OCISpec
import Seccomp
import Testing

extension SeccompSuite {
  @Suite struct Compile {
    @Test func allowAllIsSmallAndNeedsNoListener() throws {
      let program = try SeccompProgram.compile(profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#))
      #expect(program.instructionCount > 0 && program.instructionCount < 16)
      #expect(program.bpf.count == program.instructionCount * 8)
      #expect(!program.usesNotify)
      #expect(program.flags == 0)
      #expect(program.warnings.isEmpty)
    }

    @Test func unknownSyscallNameIsAWarningNotAnError() throws {
      let program = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["getpid","no_such_syscall_42"],"action":"SCMP_ACT_ERRNO"}]}
          """#))
      #expect(program.warnings.count == 1)
      #expect(program.warnings.first?.contains("linux.seccomp.syscalls[0].names[1]") == true)
      #expect(program.warnings.first?.contains("no_such_syscall_42") == true)
    }

    @Test func invalidActionNamesTheField() throws {
      let error = try #require(
        try compileError(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["getpid"],"action":"SCMP_ACT_ERRNO"},
            {"names":["getppid"],"action":"SCMP_ACT_BOGUS"}]}
          """#))
      #expect(error.field == "linux.seccomp.syscalls[1].action")
      #expect(error.reason.contains("SCMP_ACT_BOGUS"))
      #expect(try compileError(#"{"defaultAction":"ALLOW"}"#)?.field == "linux.seccomp.defaultAction")
    }

    @Test func invalidOperatorAndIndexNameTheField() throws {
      let op = try #require(
        try compileError(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO",
            "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_ABOUT"}]}]}
          """#))
      #expect(op.field == "linux.seccomp.syscalls[0].args[1].op")
      #expect(op.description.contains("SCMP_CMP_ABOUT"))
      let index = try #require(
        try compileError(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO",
            "args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}
          """#))
      #expect(index.field == "linux.seccomp.syscalls[0].args[0].index")
    }

    @Test func otherInvalidProfilesNameTheField() throws {
      #expect(
        try compileError(#"{"defaultAction":"SCMP_ACT_NOTIFY","listenerPath":"/x"}"#)?.field
          == "linux.seccomp.defaultAction")
      #expect(
        try compileError(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":70000}]}
          """#)?.field == "linux.seccomp.syscalls[0].action")
      #expect(
        try compileError(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}"#)?.field
          == "linux.seccomp.architectures[0]")
      #expect(
        try compileError(#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_FAST"]}"#)?.field
          == "linux.seccomp.flags[0]")
    }

    @Test func conflictingRulesNameTheSecondRule() throws {
      let error = try #require(
        try compileError(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["getppid"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
            {"names":["getppid"],"action":"SCMP_ACT_LOG","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}
          """#))
      #expect(error.field == "linux.seccomp.syscalls[1].names[0]")
      #expect(error.errno == EEXIST)
    }

    @Test func ruleWithTheDefaultActionIsSkipped() throws {
      let bare = try SeccompProgram.compile(profile(#"{"defaultAction":"SCMP_ACT_ERRNO"}"#))
      // ERRNO without errnoRet is ERRNO(EPERM), the same action as the default: skipped.
      let same = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}
          """#))
      // (libseccomp's part: `same` names a syscall, so it also starts with the ENOSYS stub.)
      #expect(Array(same.bpf.suffix(bare.bpf.count)) == bare.bpf)
      // A different errno is a different action and stays.
      let other = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}
          """#))
      #expect(other.instructionCount > bare.instructionCount)
    }

    @Test func everyActionCompiles() throws {
      for action in OCISpec.Seccomp.actions {
        let program = try SeccompProgram.compile(
          profile(
            #"""
            {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock",
             "syscalls":[{"names":["getpid"],"action":"\#(action)"}]}
            """#))
        #expect(program.usesNotify == (action == "SCMP_ACT_NOTIFY"), "\(action)")
      }
    }

    @Test func architecturesAndFlags() throws {
      let program = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
           "flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW","SECCOMP_FILTER_FLAG_TSYNC",
                    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
           "syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}
          """#))
      // TSYNC | LOG | SPEC_ALLOW; WAIT_KILLABLE_RECV needs a listener, so it is dropped with a warning.
      #expect(program.flags == 0b111)
      #expect(program.warnings.count == 1)
      #expect(program.warnings.first?.contains("WAIT_KILLABLE_RECV") == true)
      let x86Only = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}
          """#))
      #expect(program.instructionCount > x86Only.instructionCount)
    }

    @Test func notifySetsNewListenerAndTsyncEsrch() throws {
      let program = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock",
           "flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
           "syscalls":[{"names":["getpid"],"action":"SCMP_ACT_NOTIFY"}]}
          """#))
      #expect(program.usesNotify)
      let newListener: UInt32 = 1 << 3
      let tsyncEsrch: UInt32 = 1 << 4
      let waitKillable: UInt32 = 1 << 5
      #expect(program.flags & newListener != 0)
      #expect(program.flags & tsyncEsrch != 0)
      // Linux 5.19+ accepts it; older kernels drop it with a warning.
      #expect(program.flags & waitKillable != 0 || program.warnings.contains { $0.contains("WAIT_KILLABLE_RECV") })
    }

    @Test func repeatedArgumentIndexSplitsTheRule() throws {
      let anded = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO",
            "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]}
          """#))
      let split = try SeccompProgram.compile(
        profile(
          #"""
          {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO",
            "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}
          """#))
      #expect(anded.instructionCount > 0 && split.instructionCount > 0)
      // Behaviour of both is checked in the kernel tests.
    }

    @Test func dockerDefaultProfile() throws {
      let seccomp = try profile(fixture("docker-default.json"))
      let names = seccomp.syscalls.reduce(0) { $0 + $1.names.count }
      #expect(names > 300)
      var program = try SeccompProgram.compile(seccomp)
      var times: [UInt64] = []
      for _ in 0..<20 {
        let start = nowNanoseconds()
        program = try SeccompProgram.compile(seccomp)
        times.append(nowNanoseconds() - start)
      }
      times.sort()
      print(
        "docker default profile: \(names) names, \(program.instructionCount) BPF instructions, "
          + "compile median \(times[times.count / 2] / 1000) us, min \(times[0] / 1000) us, "
          + "max \(times[times.count - 1] / 1000) us; \(program.warnings.count) warnings")
      for warning in program.warnings { print("  warning: \(warning)") }
      #expect(program.instructionCount > 300 && program.instructionCount <= 4096)
      #expect(!program.usesNotify)
    }
  }
}
