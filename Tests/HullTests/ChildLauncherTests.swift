// The parent side shared by create, run and exec (ChildLauncher.supervise) and the two kinds'
// handshakes, without root: the "child" is a real unprivileged process (sleep) with a real
// pidfd, and the test plays the child's end of a real sync pair, its messages queued ahead.
import Glibc
import LinuxKit
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("child launcher") struct ChildLauncherTests {
  /// A child of this process that lives until killed, with its pidfd, and the test's end of its channel.
  struct Sleeper {
    let child: ChildProcess
    /// The child's end: what the child "sends" is queued here before the parent reads.
    let end: SyncChannel

    init() throws {
      var pid: pid_t = 0
      let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("1000"), nil]
      defer { for arg in argv { free(arg) } }
      let spawned = posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ)
      guard spawned == 0 else { throw SystemError("posix_spawn", "/bin/sleep") }
      let pidfd = PidFD.openNumber(pid)
      let channels = try SyncChannel.pair()
      child = ChildProcess(pid: pid, pidfd: pidfd, placedInUnified: false, sync: channels.parent)
      end = channels.child
    }

    /// The child's messages, then its end closed for writing: the parent then reads EOF, as
    /// after execve, while the test can still read what the parent sent.
    func queue(_ messages: [SyncMessage], error: RuntimeError? = nil, thenEOF: Bool = true) {
      for message in messages { end.send(message) }
      if let error { end.sendError(error) }
      if thenEOF { shutdown(end.fd, Int32(SHUT_WR)) }
    }

    /// What the parent sent, until it closed its end (or nothing more is waiting).
    func sent() -> [SyncMessage?] {
      var messages: [SyncMessage?] = []
      while end.waitReadable(timeoutMs: 0), let message = end.receive() { messages.append(message.kind) }
      return messages
    }

    /// Reaped: waitpid finds no such child any more.
    var reaped: Bool {
      var status: Int32 = 0
      return waitpid(child.pid, &status, WNOHANG) < 0 && errno == ECHILD
    }

    /// Alive and not reaped (a success leaves the child to its caller).
    var running: Bool {
      var status: Int32 = 0
      return waitpid(child.pid, &status, WNOHANG) == 0
    }

    /// After a success: the test kills and reaps it itself.
    func finish() {
      child.killAndReap(.thawingThenWaiting(nil))
      child.sync.close()
      end.close()
    }
  }

  /// A kind that records its steps and whether the pid file existed at each; fails where told.
  struct RecordingKind: ChildKind {
    var pidFile: String?
    var failAt: String?
    var steps: [String] = []
    var operation: String { "test launch" }
    var reaping: ChildProcess.Reaping { .waitingAtMost(timeoutMs: 5000) }

    func runChild(sync: SyncChannel, console: Int32) -> Never { fatalError("never cloned in these tests") }

    mutating func handshake(_ child: ChildProcess) throws(RuntimeError) { try step("handshake") }
    mutating func recordState(_ child: ChildProcess) throws(RuntimeError) { try step("recordState") }

    mutating func step(_ name: String) throws(RuntimeError) {
      steps.append(name + (pidFile.map { access($0, F_OK) == 0 } == true ? " (pid file there)" : ""))
      if failAt == name { throw RuntimeError(name, reason: "failed as told", errno: EIO) }
    }
  }

  static func temporaryDirectory() -> String {
    var template = Array("/tmp/hull-launcher-unit-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
  }

  @Test("the pid file is written after the handshake and the record, and names the child")
  func pidFileLast() throws {
    let dir = Self.temporaryDirectory()
    defer { Files.removeTree(dir) }
    let sleeper = try Sleeper()
    defer { sleeper.finish() }
    var kind = RecordingKind(pidFile: dir + "/pid")
    try ChildLauncher.supervise(sleeper.child, &kind)
    #expect(kind.steps == ["handshake", "recordState"])
    #expect(try Files.read(dir + "/pid", limit: 64) == Array(String(sleeper.child.pid).utf8))
    #expect(sleeper.running, "a launch that succeeded must leave its child to the caller")
  }

  @Test(
    "a failure at any step after the clone kills and reaps the child, closes the channel, and stops there",
    arguments: ["handshake", "recordState", "pid file"])
  func failureKillsAndReaps(step: String) throws {
    let dir = Self.temporaryDirectory()
    defer { Files.removeTree(dir) }
    let sleeper = try Sleeper()
    defer { sleeper.end.close() }
    // The pid file fails in a directory that does not exist.
    var kind = RecordingKind(pidFile: step == "pid file" ? dir + "/missing/pid" : dir + "/pid", failAt: step)
    do {
      try ChildLauncher.supervise(sleeper.child, &kind)
      Issue.record("the failure was not reported")
    } catch {
      #expect(error.errno == EIO || step == "pid file", "\(error)")
    }
    #expect(sleeper.reaped, "the child was not reaped")
    #expect(
      sleeper.end.waitReadable(timeoutMs: 2000) && sleeper.end.receive() == nil,
      "the parent's end of the channel is still open")
    #expect(kind.steps == (step == "handshake" ? ["handshake"] : ["handshake", "recordState"]))
    #expect(access(dir + "/pid", F_OK) != 0, "a pid file was written for a child that failed")
  }
}

@Suite("child launcher: the init's and exec's handshakes") struct LaunchKindTests {
  typealias Sleeper = ChildLauncherTests.Sleeper

  /// An InitLaunch of the unit fixture's plan, its state directory made and locked as create does.
  struct InitWorld: ~Copyable {
    let fixture = InitFixture()
    let store: StateStore
    let lock: StateStore.Lock
    var kind: InitLaunch

    init(waitForParent: Bool) throws {
      store = StateStore(root: fixture.bundle + "/state")
      try Files.makeDirectories(fixture.bundle + "/state")
      var plan = try fixture.plan(try fixture.spec())
      plan.cgroup = nil  // nothing to attach: the test is not root
      let lock = try store.create(plan.id)
      let record = ContainerRecord(
        id: plan.id, pid: 0, initStartTime: 0, bundle: plan.bundle, rootfs: plan.rootfs,
        created: "", owner: "root", ociVersion: plan.ociVersion, annotations: [],
        cgroupPath: "", cgroupCreated: [], started: false, poststart: [], poststop: [])
      try store.save(record)
      kind = InitLaunch(
        plan: plan, record: record, store: store, mode: .create, pidFile: fixture.bundle + "/pid",
        cgroupNamespace: false, waitForParent: waitForParent, listener: -1, stateLock: lock.fd,
        cleanup: Launcher.Cleanup(store: store, id: plan.id))
      self.lock = lock
    }
  }

  @Test("init: go first when the init waits, the create hooks on its request, then state.json and the pid file")
  func initOrder() throws {
    var world = try InitWorld(waitForParent: true)
    let hookState = world.fixture.bundle + "/hook-state"
    world.kind.plan.hooks.createRuntime = [Hook(path: "/bin/sh", args: ["sh", "-c", "cat > " + hookState])]
    let sleeper = try Sleeper()
    defer { sleeper.finish() }
    sleeper.queue([.runCreateHooks, .ready])
    try ChildLauncher.supervise(sleeper.child, &world.kind)
    #expect(sleeper.sent() == [.go, .createHooksDone])
    // The hook ran before its answer, with the state of a creating container and the init's pid.
    let state = String(decoding: try Files.read(hookState, limit: 1 << 16), as: UTF8.self)
    #expect(state.contains("\"creating\"") && state.contains("\"pid\":\(sleeper.child.pid)"), "\(state)")
    #expect(try world.store.load(world.kind.plan.id).pid == sleeper.child.pid)
    #expect(try Files.read(world.fixture.bundle + "/pid", limit: 64) == Array(String(sleeper.child.pid).utf8))
    #expect(world.kind.cleanup.pidFile == world.fixture.bundle + "/pid", "create's cleanup must remove the pid file")
  }

  @Test("init: no go unless it waits; an error from the init is the error reported, the init killed and reaped")
  func initError() throws {
    var world = try InitWorld(waitForParent: false)
    let sleeper = try Sleeper()
    defer { sleeper.end.close() }
    sleeper.queue([], error: RuntimeError("mount proc on", "/proc", reason: "operation not permitted", errno: EPERM))
    do {
      try ChildLauncher.supervise(sleeper.child, &world.kind)
      Issue.record("the init's error was not reported")
    } catch {
      #expect(error.description == "mount proc on /proc: operation not permitted" && error.errno == EPERM, "\(error)")
    }
    #expect(sleeper.sent() == [], "go was sent to an init that does not wait for it")
    #expect(sleeper.reaped)
    #expect(world.kind.cleanup.pidFile == nil, "create's cleanup would remove a pid file it never wrote")
    #expect(try world.store.load(world.kind.plan.id).pid == 0, "the state names an init that failed")
  }

  /// An ExecLaunch holding the lock of container "c" (exclusive here: what matters is that it goes).
  static func execKind(_ store: StateStore, pidFile: String? = nil, subCgroups: [String: String] = [:]) throws
    -> ExecLaunch
  {
    let lock = try store.create("c")
    var options = ExecLauncher.Options()
    options.detach = true  // no signalfd in the test process
    options.pidFile = pidFile
    options.subCgroups = subCgroups
    let fixture = InitFixture()
    // No cgroup path: a container without cgroups of its own (nothing to attach; the test is not root).
    let record = ContainerRecord(
      id: "c", pid: 0, initStartTime: 0, bundle: "", rootfs: "", created: "", owner: "root",
      ociVersion: "1.0.2", annotations: [], cgroupPath: "", cgroupCreated: [], started: false,
      poststart: [], poststop: [])
    return ExecLaunch(
      id: "c", process: try fixture.plan(try fixture.spec()).process, options: options, record: record, lock: lock,
      target: ExecChild.Target(pidfd: -1, namespaces: 0))
  }

  /// Whether another open file description can lock the directory exclusively within `timeoutMs`
  /// (the lock is gone). Another test's posix_spawn may hold a copy of the lock's fd for the
  /// moment before its exec closes it (close-on-exec): hence a short wait, not one try.
  static func unlocked(_ directory: String, timeoutMs: Int = 0) -> Bool {
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    defer { close(fd) }
    for _ in 0...(timeoutMs / 10) {
      if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
      usleep(10_000)
    }
    return false
  }

  @Test("exec: lockReleased first, then the container's lock released and go; ready, EOF at execve, the pid file")
  func execOrder() throws {
    let dir = ChildLauncherTests.temporaryDirectory()
    defer { Files.removeTree(dir) }
    let store = StateStore(root: dir)
    var kind = try Self.execKind(store, pidFile: dir + "/pid")
    #expect(!Self.unlocked(store.directory("c")))
    let sleeper = try Sleeper()
    defer { sleeper.finish() }
    sleeper.queue([.lockReleased, .ready])
    try ChildLauncher.supervise(sleeper.child, &kind)
    #expect(sleeper.sent() == [.go])
    #expect(Self.unlocked(store.directory("c"), timeoutMs: 2000), "the container's lock is still held after go")
    #expect(try Files.read(dir + "/pid", limit: 64) == Array(String(sleeper.child.pid).utf8))
  }

  @Test(
    "exec: a child that never says lockReleased, or fails after ready, is killed and reaped; no go, no pid file",
    arguments: [false, true])
  func execFailure(afterReady: Bool) throws {
    let dir = ChildLauncherTests.temporaryDirectory()
    defer { Files.removeTree(dir) }
    let store = StateStore(root: dir)
    var kind = try Self.execKind(store, pidFile: dir + "/pid")
    let sleeper = try Sleeper()
    defer { sleeper.end.close() }
    if afterReady {
      sleeper.queue([.lockReleased, .ready], error: RuntimeError("exec", reason: "\"x\": no such file", errno: ENOENT))
    } else {
      sleeper.queue([])
    }
    do {
      try ChildLauncher.supervise(sleeper.child, &kind)
      Issue.record("a failed exec was reported as started")
    } catch {
      #expect(error.errno == (afterReady ? ENOENT : ECHILD), "\(error)")
    }
    #expect(sleeper.sent() == (afterReady ? [.go] : []))
    #expect(sleeper.reaped)
    #expect(access(dir + "/pid", F_OK) != 0)
  }

  @Test("exec --cgroup into a container without a cgroup: refused after lockReleased, before go")
  func execSubCgroupsWithoutCgroup() throws {
    let dir = ChildLauncherTests.temporaryDirectory()
    defer { Files.removeTree(dir) }
    var kind = try Self.execKind(StateStore(root: dir), subCgroups: ["": "sub"])
    let sleeper = try Sleeper()
    defer { sleeper.end.close() }
    sleeper.queue([.lockReleased, .ready])
    do {
      try ChildLauncher.supervise(sleeper.child, &kind)
      Issue.record("exec --cgroup went ahead without a cgroup")
    } catch {
      #expect(error.errno == ENOENT, "\(error)")
    }
    #expect(sleeper.sent() == [])
    #expect(sleeper.reaped)
  }
}
