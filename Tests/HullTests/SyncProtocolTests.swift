// The parent/child protocol (SyncChannel, SyncMessage) on a real socket pair, and the
// messages the init sends along its sequence (fake kernel, no root).
import Glibc
import LinuxKit
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("sync protocol") struct SyncProtocolTests {
  static let all: [SyncMessage] = [
    .go, .runCreateHooks, .createHooksDone, .ready, .error, .stateSaved, .start,
    .seccompListener, .seccompListenerSent, .lockReleased,
  ]

  @Test("each message is one distinct byte, then its payload; an unknown byte has no kind")
  func wireFormat() throws {
    #expect(Set(Self.all.map(\.rawValue)).count == Self.all.count)
    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    for message in Self.all {
      #expect(channels.parent.send(message, "payload"))
      let received = try #require(channels.child.receive())
      #expect(received.kind == message && received.payload == "payload")
    }
    var unknown: UInt8 = 0x7a
    _ = Glibc.send(channels.parent.fd, &unknown, 1, 0)
    #expect(channels.child.receive().map { $0.kind == nil } == true)
  }

  @Test("an error crosses with operation, path, errno and reason; long fields are cut to fit one message")
  func errors() throws {
    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    channels.child.sendError(RuntimeError("mount tmpfs on", "/dev", reason: "operation not permitted", errno: EPERM))
    let message = try #require(channels.parent.receive())
    #expect(message.kind == .error)
    let error = SyncChannel.decodeError(message.payload)
    #expect(error.description == "mount tmpfs on /dev: operation not permitted" && error.errno == EPERM)

    channels.child.sendError(
      RuntimeError("sethostname", String(repeating: "h", count: 300_000), reason: "invalid argument", errno: EINVAL))
    let long = try #require(channels.parent.receive())
    #expect(SyncChannel.decodeError(long.payload).path.utf8.count < 2000)
  }

  @Test("the child takes anything but the message it expects, or EOF, as the parent gone")
  func expect() throws {
    let channels = try SyncChannel.pair()
    defer { channels.child.close() }
    channels.parent.send(.go)
    try channels.child.expect(.go)
    channels.parent.send(.ready)
    #expect(throws: InitAbort.self) { try channels.child.expect(.start) }
    channels.parent.close()
    #expect(throws: InitAbort.self) { try channels.child.expect(.start) }
  }

  @Test("create hooks: the init asks the parent to run them (and waits) before it reports ready")
  func createHooksExchange() throws {
    let fixture = InitFixture()
    let plan = try fixture.plan(try fixture.spec { $0.hooks = Hooks(createRuntime: [Hook(path: "/bin/true")]) })
    let fds = { (sync: SyncChannel) in
      InitStage.Descriptors(
        sync: sync, start: .channel, consoleSocket: -1, waitForParent: true,
        unshareCgroupNamespace: false, stateLock: -1)
    }
    // waitForParent: go comes first (after the parent's cgroup attach and id maps), or nothing happens.
    let early = try SyncChannel.pair()
    defer {
      early.parent.close()
      early.child.close()
    }
    early.parent.send(.createHooksDone)
    let untouched = RecordingSyscalls(rootfs: fixture.rootfs)
    var earlyContext = InitContext(kernel: untouched, sync: early.child)
    #expect(throws: InitAbort.self) { _ = try InitStage.setUp(plan, fds(early.child), &earlyContext) }
    #expect(untouched.calls.isEmpty)

    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    for message: SyncMessage in [.go, .createHooksDone, .start] { channels.parent.send(message) }
    var context = InitContext(kernel: RecordingSyscalls(rootfs: fixture.rootfs), sync: channels.child)
    _ = try InitStage.setUp(plan, fds(channels.child), &context)
    #expect(channels.parent.receive()?.kind == .runCreateHooks)
    #expect(channels.parent.receive()?.kind == .ready)
  }
}
