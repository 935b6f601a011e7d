import CSeccomp
import Glibc
import OCISpec
import Testing

@testable import Seccomp

// Filters loaded into a real kernel, in forked children: each child loads the program,
// makes raw syscalls and reports through its exit code or its death signal.

private func compiled(_ json: String) throws -> SeccompProgram {
  try SeccompProgram.compile(profile(json))
}

extension SeccompSuite {
  @Suite struct Kernel {
    @Test func errnoActionReturnsErrnoRet() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
          {"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
          {"names":["rmdir"],"action":"SCMP_ACT_ERRNO"}]}
        """#)
      let path = "/proc/hull-seccomp-test"
      let mkdirEnd = path.withCString { p in
        runLoaded(program) { _ in errnoOf(sys(SYS_mkdir, Int(bitPattern: p), 0o755)) }
      }
      #expect(mkdirEnd == .exited(38))
      // Without errnoRet, ERRNO means EPERM (runc's default).
      let rmdirEnd = path.withCString { p in runLoaded(program) { _ in errnoOf(sys(SYS_rmdir, Int(bitPattern: p))) } }
      #expect(rmdirEnd == .exited(EPERM))
      // Unfiltered calls still work: getpid succeeds.
      #expect(runLoaded(program) { _ in errnoOf(sys(SYS_getpid)) } == .exited(0))
    }

    @Test func defaultErrnoWithAnAllowList() throws {
      // Only what a child needs to run its raw calls and exit.
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[
          {"names":["getpid","exit","exit_group","rt_sigreturn"],"action":"SCMP_ACT_ALLOW"}]}
        """#)
      let end = runLoaded(program) { _ in
        guard sys(SYS_getpid) > 0 else { return 1 }
        return errnoOf(sys(SYS_getppid))
      }
      #expect(end == .exited(EACCES))
      let eperm = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["exit","exit_group"],"action":"SCMP_ACT_ALLOW"}]}
        """#)
      #expect(runLoaded(eperm) { _ in errnoOf(sys(SYS_getppid)) } == .exited(EPERM))
    }

    /// As runc's patched filter: a call numbered above every syscall the profile names gets
    /// ENOSYS (glibc then falls back from clone3, openat2, …), one below keeps the default action.
    @Test(arguments: [#""architectures":["SCMP_ARCH_X86_64"],"#, ""])
    func unknownSyscallGetsEnosys(_ architectures: String) throws {
      let allowList = #""syscalls":[{"names":["getpid","exit","exit_group","rt_sigreturn"],"action":"SCMP_ACT_ALLOW"}]"#
      let eperm = try compiled("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\(architectures)\(allowList)}")
      // exit_group (231) is the highest number named: 1000 and clone3 (435) are past it,
      // getppid (110) is not.
      #expect(runLoaded(eperm) { _ in errnoOf(sys(1000)) } == .exited(ENOSYS))
      #expect(runLoaded(eperm) { _ in errnoOf(sys(435)) } == .exited(ENOSYS))
      #expect(runLoaded(eperm) { _ in errnoOf(sys(SYS_getppid)) } == .exited(EPERM))
      #expect(runLoaded(eperm) { _ in errnoOf(sys(SYS_getpid)) } == .exited(0))
      // Any default that is not "let it through" gives way to ENOSYS past the last known call.
      let errnoRet = try compiled(
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,\(architectures)\(allowList)}")
      #expect(runLoaded(errnoRet) { _ in errnoOf(sys(1000)) } == .exited(ENOSYS))
      #expect(runLoaded(errnoRet) { _ in errnoOf(sys(SYS_getppid)) } == .exited(EACCES))
      let kill = try compiled("{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\(architectures)\(allowList)}")
      #expect(runLoaded(kill) { _ in errnoOf(sys(1000)) } == .exited(ENOSYS))
      #expect(runLoaded(kill) { _ in errnoOf(sys(SYS_getppid)) } == .killed(SIGSYS))
    }

    @Test func noEnosysStubWhenTheDefaultLetsCallsThrough() throws {
      // ALLOW: the kernel's own ENOSYS for 1000; the rules still apply.
      let allow = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
         "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}
        """#)
      #expect(runLoaded(allow) { _ in errnoOf(sys(1000)) } == .exited(ENOSYS))
      #expect(runLoaded(allow) { _ in errnoOf(sys(SYS_getppid)) } == .exited(EPERM))
      // ERRNO(ENOSYS) already: the stub would change nothing, the program is libseccomp's alone.
      let enosys =
        #"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_ALLOW"}]}"#
      let eperm =
        #"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_ALLOW"}]}"#
      #expect(try compiled(eperm).instructionCount > compiled(enosys).instructionCount)
    }

    @Test func argumentFilterAllowsOnlyTheQuery() throws {
      // docker's shape: personality(0xffffffff) (a query) allowed, any other persona denied.
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ERRNO",
          "args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_NE"}]}]}
        """#)
      let end = runLoaded(program) { _ in
        guard sys(SYS_personality, 0xffff_ffff) >= 0 else { return 1 }
        guard sys(SYS_personality, 0x0040000) == -Int(EPERM) else { return 2 }  // ADDR_NO_RANDOMIZE
        guard sys(SYS_personality, 0) == -Int(EPERM) else { return 3 }
        return 0
      }
      #expect(end == .exited(0))
    }

    @Test func argumentsOnDifferentIndexesAreANDed() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":77,
          "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]}
        """#)
      // getpid ignores its arguments, but the filter sees the registers.
      let end = runLoaded(program) { _ in
        guard sys(SYS_getpid, 1, 2) == -77 else { return 1 }
        guard sys(SYS_getpid, 1, 3) > 0 else { return 2 }
        guard sys(SYS_getpid, 0, 2) > 0 else { return 3 }
        return 0
      }
      #expect(end == .exited(0))
    }

    @Test func repeatedIndexIsSplitIntoORedRules() throws {
      // runc's rule: two conditions on one argument become two rules, either one matches.
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":77,
          "args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}
        """#)
      let end = runLoaded(program) { _ in
        guard sys(SYS_getpid, 1) == -77 else { return 1 }
        guard sys(SYS_getpid, 2) == -77 else { return 2 }
        guard sys(SYS_getpid, 3) > 0 else { return 3 }
        return 0
      }
      #expect(end == .exited(0))
    }

    @Test(
      arguments: [
        // (operator, value, valueTwo, [(argument, denied)])
        ("SCMP_CMP_NE", 5, 0, [(5, false), (4, true)]),
        ("SCMP_CMP_LT", 5, 0, [(4, true), (5, false), (6, false)]),
        ("SCMP_CMP_LE", 5, 0, [(4, true), (5, true), (6, false)]),
        ("SCMP_CMP_EQ", 5, 0, [(5, true), (6, false)]),
        ("SCMP_CMP_GE", 5, 0, [(4, false), (5, true), (6, true)]),
        ("SCMP_CMP_GT", 5, 0, [(5, false), (6, true)]),
        // value is the mask, valueTwo the expected masked value (docker's clone rule).
        ("SCMP_CMP_MASKED_EQ", 0xf0, 0x30, [(0x31, true), (0x3f, true), (0x41, false), (0x0, false)]),
      ] as [(String, Int, Int, [(Int, Bool)])])
    func everyOperator(op: String, value: Int, valueTwo: Int, cases: [(Int, Bool)]) throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":99,
          "args":[{"index":2,"value":\#(value),"valueTwo":\#(valueTwo),"op":"\#(op)"}]}]}
        """#)
      let end = runLoaded(program) { _ in
        for (i, c) in cases.enumerated() {
          let denied = sys(SYS_getppid, 0, 0, c.0) == -99
          if denied != c.1 { return Int32(i + 1) }
        }
        return 0
      }
      #expect(end == .exited(0), "\(op): case \(end.exitCode ?? 0) wrong")
    }

    @Test(arguments: ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL"])
    func killActionsKillWithSIGSYS(action: String) throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"\#(action)"}]}
        """#)
      // A SIGSYS handler cannot save the process: kill actions are not signals it can catch.
      let end = runLoaded(program, prepare: { _ = signal(SIGSYS) { _ in _exit(42) } }) { _ in
        _ = sys(SYS_getppid)
        return 0
      }
      #expect(end == .killed(SIGSYS))
    }

    @Test func trapDeliversSIGSYS() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_TRAP"}]}
        """#)
      #expect(
        runLoaded(program) { _ in
          _ = sys(SYS_getppid)
          return 0
        } == .killed(SIGSYS))
      // Unlike a kill, the signal reaches a handler.
      let handled = runLoaded(program, prepare: { _ = signal(SIGSYS) { _ in _exit(42) } }) { _ in
        _ = sys(SYS_getppid)
        return 0
      }
      #expect(handled == .exited(42))
    }

    @Test func logAllows() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"],
         "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_LOG"}]}
        """#)
      #expect(runLoaded(program) { _ in sys(SYS_getppid) > 0 ? 0 : 1 } == .exited(0))
    }

    @Test func traceWithoutATracerFailsWithENOSYS() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_TRACE","errnoRet":7}]}
        """#)
      #expect(runLoaded(program) { _ in errnoOf(sys(SYS_getppid)) } == .exited(ENOSYS))
    }

    @Test func malformedProgramIsRefusedBeforeTheKernel() throws {
      // Runs in the test process: both are refused before seccomp(2), and even if they
      // reached it the kernel rejects them (no final return), so nothing is installed.
      // 65544 bytes = 8193 instructions, which a u16 length would truncate to 1.
      let oversized = SeccompProgram(bpf: [UInt8](repeating: 0, count: 8 * 8193), flags: 0, usesNotify: false)
      #expect(throws: SeccompError.self) { _ = try oversized.load() }
      let ragged = SeccompProgram(bpf: [1, 2, 3], flags: 0, usesNotify: false)
      #expect(throws: SeccompError.self) { _ = try ragged.load() }
    }

    @Test func flagsAreAcceptedByTheKernel() throws {
      let program = try compiled(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
         "flags":["SECCOMP_FILTER_FLAG_TSYNC","SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
         "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":5}]}
        """#)
      #expect(runLoaded(program) { _ in errnoOf(sys(SYS_getppid)) } == .exited(EIO))
    }

    /// Both layouts: linear (compile(_:)) and binary tree (what the cache stores).
    @Test(arguments: [UInt32(1), Compiler.binaryTreeLevel])
    func dockerDefaultProfileLoadsAndDenies(optimize: UInt32) throws {
      let program = try SeccompProgram.compile(profile(fixture("docker-default.json")), optimize: optimize)
      let end = runLoaded(program) { _ in
        // clone3 is ERRNO(ENOSYS) in docker's profile; unshare is not allowed (EPERM); getpid is.
        guard sys(SYS_getpid) > 0 else { return 1 }
        guard sys(SYS_clone3, 0, 0) == -Int(ENOSYS) else { return 2 }
        guard sys(SYS_unshare, 0) == -Int(EPERM) else { return 3 }
        return 0
      }
      #expect(end == .exited(0))
    }

    @Test(arguments: [UInt32(1), Compiler.binaryTreeLevel])
    func loadTiming(optimize: UInt32) throws {
      let program = try SeccompProgram.compile(profile(fixture("docker-default.json")), optimize: optimize)
      var fds: [Int32] = [0, 0]
      #expect(pipe(&fds) == 0)
      defer { close(fds[0]) }
      let writeEnd = fds[1]
      // Measured in a child (a filter cannot be unloaded): clock around load(), delta over a pipe.
      let pid = fork()
      if pid == 0 {
        _ = cseccomp_syscall6(Int(SYS_prctl), 38, 1, 0, 0, 0, 0)  // PR_SET_NO_NEW_PRIVS
        let start = nowNanoseconds()
        let loaded = (try? program.load()) != nil
        var elapsed = loaded ? nowNanoseconds() - start : 0
        _ = write(writeEnd, &elapsed, 8)
        _exit(0)
      }
      close(writeEnd)
      var elapsed: UInt64 = 0
      #expect(read(fds[0], &elapsed, 8) == 8)
      #expect(wait(pid) == .exited(0))
      #expect(elapsed > 0)
      print(
        "docker default profile: load() \(elapsed / 1000) us for \(program.instructionCount) instructions"
          + " (optimize \(optimize))")
    }
  }
}
