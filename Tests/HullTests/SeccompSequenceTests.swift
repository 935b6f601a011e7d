// Where the seccomp filter goes in the init's and the exec'd process's sequence, and the
// listener hand-off of SCMP_ACT_NOTIFY, on a recording fake kernel (no root).
import Glibc
import LinuxKit
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("seccomp in the init sequence (fake kernel)") struct SeccompSequenceTests {
  static let agent = "/run/hull-unit-agent.sock"

  /// A profile that allows everything but notifies the agent of getppid.
  static func notifying(_ spec: inout Spec, noNewPrivileges: Bool = true) {
    spec.process?.noNewPrivileges = noNewPrivileges
    spec.linux?.seccomp = Seccomp(
      defaultAction: "SCMP_ACT_ALLOW", listenerPath: agent, listenerMetadata: "unit",
      syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_NOTIFY")])
  }

  @Test(
    "SCMP_ACT_NOTIFY: the agent is connected before pivot_root, and the listener goes to the parent right after the load"
  )
  func listenerHandoff() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { Self.notifying(&$0) })
    let kernel = try fixture.runInit(plan)
    let connect = try #require(kernel.index(of: "connect", with: Self.agent))
    let pivot = try #require(kernel.index(of: "pivot_root"))
    #expect(connect < pivot)
    // After the load: one write of the hand-off message, one read of the reply, then execve.
    let load = try #require(kernel.index(of: "seccomp"))
    let after = kernel.calls[(load + 1)...].map(\.name)
    #expect(Array(after) == ["write", "read", "execve"])
    let handoff = kernel.calls[load + 1].args[1]
    #expect(handoff.hasPrefix("n"))
    #expect(handoff.contains("\"pid\":4242"))  // the host pid, from the host's /proc before pivot_root
    #expect(handoff.contains("\"metadata\":\"unit\""))
    // NEW_LISTENER was asked for.
    #expect(UInt32(kernel.calls[load].args[0].dropFirst(2), radix: 16).map { $0 & 8 != 0 } == true)
  }

  @Test("create: the listener goes to the parent on the connection `start` made, not on the closed sync channel")
  func listenerHandoffOnCreate() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { Self.notifying(&$0) })
    let kernel = RecordingSyscalls(rootfs: fixture.rootfs)
    let listener = try ExecSocket.listen(stateDir: fixture.bundle)
    // `start`, already waiting in the backlog.
    let start = SyncChannel(
      fd: try ExecSocket.connect(
        path: fixture.bundle + "/" + ExecSocket.name, what: "init",
        type: Int32(SOCK_SEQPACKET.rawValue)))
    defer { start.close() }
    start.send(.start)
    let channels = try SyncChannel.pair()
    defer { channels.parent.close() }
    channels.parent.send(.stateSaved)  // the parent saved state.json and the pid file
    var context = InitContext(kernel: kernel, sync: channels.child)
    let fds = InitStage.Descriptors(
      sync: channels.child, start: .listening(listener), consoleSocket: -1,
      waitForParent: false, unshareCgroupNamespace: false, stateLock: -1)
    let (_, reply) = try InitStage.setUp(plan, fds, &context)
    defer { reply.close() }
    let load = try #require(kernel.index(of: "seccomp"))
    #expect(kernel.calls[load + 1].name == "write" && kernel.calls[load + 1].args[0] == String(reply.fd))
    // That fd is start's connection: what start sends arrives there.
    start.send(.go)
    #expect(reply.receive()?.kind == .go)
    #expect(kernel.index(of: "connect", with: Self.agent).map { $0 < kernel.index(of: "pivot_root")! } == true)
  }

  @Test("without no_new_privs the filter goes in before the user switch (it needs CAP_SYS_ADMIN), with it after")
  func filterAroundIdentity() throws {
    let fixture = InitFixture()
    for noNewPrivileges in [false, true] {
      let plan = try fixture.plan(
        try fixture.spec { spec in
          spec.process?.user = User(uid: 1000, gid: 1000)
          spec.process?.noNewPrivileges = noNewPrivileges
          spec.linux?.seccomp = Seccomp(
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_ERRNO")])
        })
      let kernel = try fixture.runInit(plan)
      let load = try #require(kernel.index(of: "seccomp"))
      let setuid = try #require(kernel.index(of: "setresuid", with: "1000"))
      let capset = try #require(kernel.index(of: "capset"))
      let start = try #require(kernel.index(of: "prctl", with: String(PR_SET_KEEPCAPS)))
      #expect(start < load)  // after `start`: the identity switch begins with keep-caps
      if noNewPrivileges {
        let nnp = try #require(kernel.index(of: "prctl", with: String(PR_SET_NO_NEW_PRIVS)))
        #expect(setuid < load && capset < load && nnp < load)
        #expect(kernel.calls[(load + 1)...].map(\.name) == ["execve"])
      } else {
        #expect(load < setuid && load < capset)
        #expect(!kernel.calls.contains { $0.name == "prctl" && $0.args[0] == String(PR_SET_NO_NEW_PRIVS) })
      }
    }
  }

  @Test("a notifying filter with no connection to the agent is an error, and nothing is loaded")
  func noSilentSkip() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { Self.notifying(&$0) })
    let kernel = RecordingSyscalls(rootfs: fixture.rootfs)
    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    var context = InitContext(kernel: kernel, sync: channels.child)
    context.listenerParent = channels.child.fd  // but no listenerSocket: connectListener never ran
    #expect(throws: RuntimeError.self) { try SeccompSetup.load(plan.process, context) }
    #expect(kernel.calls("seccomp").isEmpty)

    // A plan that notifies but lost its agent's path is refused when connecting, not skipped.
    var lost = plan.process
    lost.seccompListenerPath = nil
    #expect(throws: RuntimeError.self) { try SeccompSetup.connectListener(lost, &context) }
  }

  @Test("an agent that refuses the connection fails the init before pivot_root, naming listenerPath")
  func agentMissing() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { Self.notifying(&$0) })
    let kernel = RecordingSyscalls(rootfs: fixture.rootfs)
    kernel.failing["connect"] = ECONNREFUSED
    do {
      try fixture.runInit(plan, kernel: kernel)
      Issue.record("the init went on without its agent")
    } catch let error as RuntimeError {
      #expect(error.description.contains("linux.seccomp.listenerPath"))
      #expect(error.path == Self.agent && error.errno == ECONNREFUSED)
    }
    #expect(kernel.index(of: "pivot_root") == nil)
    #expect(kernel.calls("seccomp").isEmpty)
  }

  @Test("the parent not answering the hand-off stops the process quietly (the parent reports it)")
  func handoffRefused() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { Self.notifying(&$0) })
    let kernel = RecordingSyscalls(rootfs: fixture.rootfs)
    kernel.readReply = SyncMessage.start.rawValue  // anything but seccompListenerSent
    do {
      try fixture.runInit(plan, kernel: kernel)
      Issue.record("the init went on without the parent's answer")
    } catch InitAbort.parentGone {
    }
    #expect(kernel.calls.last?.name == "read")
  }

  @Test("exec: the agent is connected and the namespaces joined before anything inside the container")
  func execSequence() throws {
    let fixture = InitFixture()
    let spec = try fixture.spec { Self.notifying(&$0) }
    var request = ExecRequest()
    request.command = ["sh"]
    let process = try ExecPlanner.plan(
      request, id: "unit", bundle: fixture.bundle, spec: spec, seccompCacheDirectory: nil,
      host: FakeHost()
    ).process
    let kernel = RecordingSyscalls(rootfs: fixture.rootfs)
    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    channels.parent.send(.go)
    let pidfd = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let root = open(fixture.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)
    var context = InitContext(kernel: kernel, sync: channels.child)
    let target = ExecChild.Target(
      pidfd: pidfd, namespaces: Int32(LinuxNamespace.mount.cloneFlag), root: root,
      sessionKeyringOf: "unit")
    _ = try ExecChild.setUp(process, target, &context)
    #expect(channels.parent.receive()?.kind == .lockReleased)  // before anything else
    let order = [
      "connect", "setns", "chroot", "close_range", "keyctl_join", "chdir", "setrlimit", "seccomp", "write", "execve",
    ]
    let indices = order.map { kernel.index(of: $0) }
    #expect(!indices.contains(nil), "\(kernel.calls)")
    #expect(indices.compactMap { $0 } == indices.compactMap { $0 }.sorted())
    // The program was found in the container's root (the chroot), not on the host.
    #expect(kernel.calls("execve").first?.args.first == "/bin/sh")
  }
}
