import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// start, state, kill, delete and list on containers in a state store.
public struct ContainerOps {
  public let store: StateStore
  public init(store: StateStore) { self.store = store }

  /// Status derived from the live process (pid + start time survive pid reuse) and the freezer.
  public func status(of record: ContainerRecord) -> ContainerStatus {
    guard ProcFS.isAlive(pid: record.pid, startTime: record.initStartTime) else { return .stopped }
    if !record.started { return .created }
    if record.cgroup?.isFrozen == true { return .paused }
    return .running
  }

  public func state(_ id: String) throws(RuntimeError) -> ContainerState {
    let lock = try store.open(id, shared: true)
    let record = try store.load(id)
    _ = consume lock
    return StateJSON.state(record: record, status: status(of: record))
  }

  /// Releases the init blocked in create and runs the poststart hooks.
  public func start(_ id: String) throws(RuntimeError) {
    let socketPath = store.directory(id) + "/" + ExecSocket.name
    let record: ContainerRecord
    let channel: SyncChannel
    do {
      let lock = try store.open(id)
      record = try store.load(id)
      switch status(of: record) {
      case .created: break
      case .stopped:
        throw RuntimeError("start container \(id)", reason: "cannot start a container that has stopped", errno: EINVAL)
      default: throw RuntimeError("start container \(id)", reason: "container is already running", errno: EBUSY)
      }
      channel = SyncChannel(
        fd: try ExecSocket.connect(path: socketPath, what: "container init", type: Int32(SOCK_SEQPACKET.rawValue)))
      _ = consume lock
    }
    defer { channel.close() }
    let pidfd = PidFD.openNumber(record.pid)
    defer { if pidfd >= 0 { close(pidfd) } }
    channel.send(.start)
    // Not under the lock: the init now runs startContainer hooks (the image's binaries) and
    // execs, which the container controls. The connection closes when the init execs
    // (close-on-exec); an error arrives first otherwise.
    if let message = try ListenerHandoff.receive(channel, pidfd: pidfd), message.kind == .error {
      throw SyncChannel.decodeError(message.payload)
    }
    let lock = try store.open(id)
    let current = try store.load(id)
    guard current.pid == record.pid, current.initStartTime == record.initStartTime else {
      throw RuntimeError("start container \(id)", reason: "the container was deleted while it started", errno: ENOENT)
    }
    unlink(socketPath)
    DebugTrace.step("start \(id): init exec'd the process")
    try store.markStarted(id)
    try runPoststart(record)
    DebugTrace.step("start \(id): poststart hooks done")
    _ = consume lock
  }

  /// runtime.md lifecycle step 9: a failing poststart hook is an error; the container is
  /// stopped and deleted (poststop hooks run), as runc does. The caller holds the lock.
  func runPoststart(_ record: ContainerRecord) throws(RuntimeError) {
    do {
      try HookRunner.run(record.poststart, kind: "poststart", state: StateJSON.render(record: record, status: .running))
    } catch {
      var notes: [String]
      do { notes = try remove(record, force: true) } catch let removeError { notes = [removeError.description] }
      let teardown = notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")
      throw RuntimeError(
        error.operation, error.path, reason: error.reason + " (container stopped and deleted\(teardown))",
        errno: error.errno)
    }
  }

  public func kill(_ id: String, signal: Int32, all: Bool) throws(RuntimeError) {
    let lock = try store.open(id)
    let record = try store.load(id)
    _ = consume lock
    let current = status(of: record)
    if current == .stopped {
      // As runc: --all on a stopped container signals what is left of it and succeeds (only what is
      // the container's own: the cgroup's processes when hull made it, see signalProcesses).
      if all {
        record.signalProcesses(signal, initAlive: false)
        return
      }
      throw RuntimeError("kill container \(id)", reason: "container not running", errno: ESRCH)
    }
    let process: PidFD
    do { process = try PidFD(pid: record.pid) } catch {
      throw RuntimeError("kill container \(id)", reason: "container not running", errno: ESRCH)
    }
    // Re-check after opening the pidfd: the pid now cannot be reused under us.
    guard ProcFS.isAlive(pid: record.pid, startTime: record.initStartTime) else {
      throw RuntimeError("kill container \(id)", reason: "container not running", errno: ESRCH)
    }
    // --all: the container's other processes too, before the init (once it is gone its
    // descendants cannot be told from strangers). Without a cgroup (rootless) the init alone, as runc.
    if all { record.signalProcesses(signal, initAlive: true) }
    do { try process.signal(signal) } catch { throw RuntimeError(error, context: "kill container \(id)") }
  }

  /// Removes a stopped container (or, with force, kills it first): poststop hooks,
  /// the cgroups hull created, the state directory. Returns hook warnings.
  /// `onlyInit`: delete only the container whose init this is (run, cleaning up after its
  /// own container, must leave alone another one made under the id after someone deleted it).
  public func delete(_ id: String, force: Bool, onlyInit: (pid: Int32, startTime: UInt64)? = nil) throws(RuntimeError)
    -> [String]
  {
    let lock: StateStore.Lock
    do { lock = try store.open(id) } catch {
      if force && error.errno == ENOENT {
        return store.removeAbandoned(id)
          ? ["delete container \(id): removed the state directory of an interrupted create"] : []
      }
      throw error
    }
    let record: ContainerRecord
    do { record = try store.load(id) } catch {
      // A state file that cannot be read (edited by hand, damaged by another tool) must not
      // make the container undeletable: --force kills the init and removes the cgroups that
      // its essentials name, then the directory. Without them, the rest is reported, not guessed.
      guard force else { throw error }
      var outcome = "removed its state directory"
      if let essentials = store.loadEssentials(id) {
        let cgroup = essentials.cgroup
        try terminate(essentials, cgroup: cgroup, wasPaused: cgroup?.isFrozen == true)
        let unitNote = stopUnit(of: cgroup).map { "; " + $0 } ?? ""
        CgroupSet.remove(essentials.cgroupCreated)
        outcome = "killed its init (\(essentials.pid)), removed its cgroups and its state directory\(unitNote)"
      }
      store.remove(id)
      return ["delete container \(id): \(error.description); \(outcome)"]
    }
    if let onlyInit, onlyInit.pid != record.pid || onlyInit.startTime != record.initStartTime { return [] }
    let warnings = try remove(record, force: force)
    _ = consume lock
    return warnings
  }

  /// delete's work on a loaded record, under the caller's lock.
  func remove(_ record: ContainerRecord, force: Bool) throws(RuntimeError) -> [String] {
    let id = record.id
    let current = status(of: record)
    let cgroup = record.cgroup
    if current != .stopped {
      guard force else {
        throw RuntimeError(
          "delete container \(id)",
          reason: "cannot delete a container that is not stopped (status \(current.rawValue)); use --force",
          errno: EBUSY)
      }
      try terminate(record, cgroup: cgroup, wasPaused: current == .paused)
    } else {
      // Leftovers of a stopped container (processes that outlived the init in the host's pid
      // namespace, or of a create killed part way: a provisional record, pid 0) go with it
      // when hull made the cgroup; a cgroup it did not make is left alone (an init whose
      // create died exits on its own when it finds its parent gone).
      record.signalProcesses(SIGKILL, initAlive: false)
    }
    var warnings = HookRunner.runWarning(
      record.poststop, kind: "poststop",
      state: StateJSON.render(record: record, status: .stopped))
    if let note = stopUnit(of: cgroup) { warnings.append("delete container \(id): \(note)") }
    CgroupSet.remove(record.cgroupCreated)
    store.remove(id)
    return warnings
  }

  /// --systemd-cgroup: stops the container's unit (systemd removes its cgroup). A unit that
  /// cannot be stopped is reported, not fatal: the container's processes are gone already and
  /// systemd drops an empty scope by itself. nil when done or nothing to do.
  func stopUnit(of cgroup: CgroupSet?) -> String? {
    guard let cgroup, cgroup.isSystemdManaged else { return nil }
    do { try cgroup.stopSystemdUnit() } catch { return "could not stop its systemd unit: \(error)" }
    return nil
  }

  /// SIGKILL to the init and the container's other processes (see signalProcesses), then
  /// wait for the init to exit.
  func terminate(_ record: ContainerRecord, cgroup: CgroupSet?, wasPaused: Bool) throws(RuntimeError) {
    let pidfd = PidFD.openNumber(record.pid)
    defer { if pidfd >= 0 { close(pidfd) } }
    let alive = pidfd >= 0 && ProcFS.isAlive(pid: record.pid, startTime: record.initStartTime)
    // The others first: once the init is gone, nothing tells its descendants from strangers.
    record.signalProcesses(SIGKILL, initAlive: alive)
    if alive { PidFD.send(SIGKILL, to: pidfd) }  // gone meanwhile: the wait below returns at once
    // Frozen tasks only die once thawed.
    if wasPaused { try? cgroup?.setFrozen(false) }
    guard alive else { return }
    let exited = PidFD.waitReadable(pidfd, timeoutMs: 10_000)
    if !exited {
      throw RuntimeError(
        "delete container \(record.id)", reason: "init \(record.pid) did not exit after SIGKILL", errno: EBUSY)
    }
  }

  public func list() -> [(record: ContainerRecord, status: ContainerStatus)] {
    store.ids().compactMap { id in
      guard let record = try? store.load(id) else { return nil }
      return (record, status(of: record))
    }
  }

  public func pause(_ id: String, frozen: Bool) throws(RuntimeError) {
    let lock = try store.open(id)
    let record = try store.load(id)
    let current = status(of: record)
    if frozen && current != .running {
      throw RuntimeError(
        "pause container \(id)", reason: "container is not running (status \(current.rawValue))", errno: EINVAL)
    }
    if !frozen && current != .paused {
      throw RuntimeError(
        "resume container \(id)", reason: "container is not paused (status \(current.rawValue))", errno: EINVAL)
    }
    let cgroup = try record.requireCgroup(operation: frozen ? "pause container \(id)" : "resume container \(id)")
    do { try cgroup.setFrozen(frozen) } catch { throw RuntimeError(error) }
    _ = consume lock
  }

  public func pids(_ id: String) throws(RuntimeError) -> [Int32] {
    let record = try store.load(id)
    return try record.requireCgroup(operation: "list processes of container \(id)").pids()
  }
}
