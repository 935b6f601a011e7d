import Glibc
import LinuxKit

/// One directory per container under --root, holding state.json (written atomically)
/// and exec.sock (the init waits on it until `start`). Each command takes an flock on
/// the container's directory, so commands on one container are serialized and commands
/// on different containers are not.
public struct StateStore: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  public func directory(_ id: String) -> String { root + "/" + id }

  /// config.json is read up to this size (create, run, exec, restore).
  public static let configSizeLimit = 16 << 20
  /// Everything variable in state.json (annotations, hooks, paths) comes from the config and
  /// is at most ~2.7 times larger written out (a hook given as {"path":""} gains empty args
  /// and env). `save` refuses what `load` would not read, so the limits cannot disagree.
  public static let stateSizeLimit = 4 * configSizeLimit

  /// A held lock on a container directory; released when closed (or at exit).
  public struct Lock: ~Copyable {
    public let fd: Int32
    public internal(set) var directory: String
    deinit { Glibc.close(fd) }
  }

  /// Creates the container's directory (refusing an existing id) and locks it. The directory
  /// is made and locked under a private name, then renamed into place without replacing
  /// anything: it appears already locked. (mkdir at the id, then flock, let a concurrent
  /// delete --force remove the fresh directory as abandoned and another create make the id
  /// again in between: this create then locked that other create's directory as its own,
  /// and its failure removed a live container's state.)
  public func create(_ id: String) throws(RuntimeError) -> Lock {
    do {
      try Files.makeDirectories(root, mode: 0o711)
    } catch { throw RuntimeError(error, context: "create state root") }
    let dir = directory(id)
    let temp =
      root + "/" + StateStore.creatingPrefix + String(getpid()) + "."
      + Files.uniqueSuffix()
    if mkdir(temp, 0o711) != 0 { throw RuntimeError(SystemError("mkdir", temp), context: "create container") }
    let locked: Lock?
    do { locked = try self.lock(temp) } catch {
      rmdir(temp)
      throw error
    }
    guard var lock = locked else {
      throw RuntimeError(
        "create container \(id)", temp, reason: "the new state directory was replaced while being locked", errno: EAGAIN
      )
    }
    do { try Files.renameNoReplace(temp, dir) } catch {
      rmdir(temp)
      if error.errno == EEXIST { throw RuntimeError.exists(id) }
      // A file system without RENAME_NOREPLACE (9p, some network file systems): mkdir at the id.
      if error.errno == EINVAL { return try createInPlace(id) }
      throw RuntimeError(error, context: "create container")
    }
    lock.directory = dir
    return lock
  }

  /// mkdir at the id, then lock (create's fallback; see there for the race it leaves open).
  private func createInPlace(_ id: String) throws(RuntimeError) -> Lock {
    let dir = directory(id)
    while true {
      if mkdir(dir, 0o711) != 0 {
        if errno == EEXIST { throw RuntimeError.exists(id) }
        throw RuntimeError(SystemError("mkdir", dir), context: "create container")
      }
      let lock: Lock?
      do { lock = try self.lock(dir) } catch {
        if error.errno == ENOENT { continue }
        throw error
      }
      if let lock { return lock }
    }
  }

  /// Names of state directories being made (not a valid container id: ids have no '~').
  static let creatingPrefix = "~creating."

  /// Locks an existing container's directory; "container does not exist" otherwise.
  public func open(_ id: String, shared: Bool = false) throws(RuntimeError) -> Lock {
    let dir = directory(id)
    while true {
      guard Files.exists(dir + "/state.json") else { throw RuntimeError.notFound(id) }
      let lock: Lock?
      do { lock = try self.lock(dir, shared: shared) } catch {
        if error.errno == ENOENT { throw RuntimeError.notFound(id) }
        throw error
      }
      // The directory we waited on was deleted and the id created again: lock the new one.
      guard let lock else { continue }
      guard Files.exists(dir + "/state.json") else { throw RuntimeError.notFound(id) }
      return lock
    }
  }

  /// flock on the directory at `dir`; nil when, once locked, the path no longer names the
  /// directory we locked (removed, maybe made again, while we waited): that lock guards
  /// nothing. The open fd keeps the old inode alive, so its number cannot be reused meanwhile.
  private func lock(_ dir: String, shared: Bool = false, nonBlocking: Bool = false) throws(RuntimeError) -> Lock? {
    let fd = Files.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw RuntimeError(SystemError("open", dir)) }
    while flock(fd, (shared ? LOCK_SH : LOCK_EX) | (nonBlocking ? LOCK_NB : 0)) != 0 {
      if errno == EINTR { continue }
      let e = errno
      Glibc.close(fd)
      throw RuntimeError(SystemError("lock", dir, errno: e))
    }
    var locked = stat()
    var current = stat()
    guard fstat(fd, &locked) == 0, lstat(dir, &current) == 0,
      locked.st_dev == current.st_dev, locked.st_ino == current.st_ino
    else {
      Glibc.close(fd)
      return nil
    }
    return Lock(fd: fd, directory: dir)
  }

  public func load(_ id: String) throws(RuntimeError) -> ContainerRecord {
    let file = directory(id) + "/state.json"
    let bytes: [UInt8]
    do { bytes = try Files.read(file, limit: StateStore.stateSizeLimit) } catch {
      if error.errno == ENOENT { throw RuntimeError.notFound(id) }
      throw RuntimeError(error, context: "read state")
    }
    var record = try ContainerRecord(json: bytes, file: file)
    record.started = Files.exists(directory(id) + "/started")
    return record
  }

  /// Records that the init was released (see ContainerRecord.started).
  public func markStarted(_ id: String) throws(RuntimeError) {
    let path = directory(id) + "/started"
    let fd = Files.open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode: 0o600)
    if fd < 0 { throw RuntimeError(SystemError("create", path), context: "mark started") }
    Glibc.close(fd)
  }

  /// --pid-file of create, run, exec and restore: the pid as text, written whole.
  public static func writePidFile(_ path: String, pid: Int32) throws(RuntimeError) {
    do { try Files.writeAtomically(path, Array(String(pid).utf8), mode: 0o644) } catch {
      throw RuntimeError(error, context: "write pid file")
    }
  }

  /// Written whole and renamed into place (see Files.writeAtomically). Once the init is
  /// known, its essentials go into a file of their own too (see loadEssentials).
  public func save(_ record: ContainerRecord) throws(RuntimeError) {
    let path = directory(record.id) + "/state.json"
    let bytes = Array(record.json().utf8)
    if bytes.count > StateStore.stateSizeLimit {
      throw RuntimeError(
        "write state", path,
        reason: "\(bytes.count) bytes, more than the \(StateStore.stateSizeLimit) a state may have", errno: EFBIG)
    }
    do {
      if record.pid != 0 {
        try Files.writeAtomically(directory(record.id) + "/" + StateStore.essentialsName, record.essentials())
      }
      try Files.writeAtomically(path, bytes)
    } catch {
      throw RuntimeError(error, context: "write state")
    }
  }

  static let essentialsName = "essentials"

  /// What `delete --force` needs to kill and clean up a container whose state.json cannot
  /// be read (hand-edited, or damaged by another tool): the init and the cgroups.
  public func loadEssentials(_ id: String) -> ContainerRecord? {
    guard let bytes = try? Files.read(directory(id) + "/" + StateStore.essentialsName, limit: 1 << 20) else {
      return nil
    }
    return ContainerRecord(id: id, essentials: bytes)
  }

  /// Removes the directory of a create that died before writing any state, when no live
  /// hull holds its lock. True when something was removed.
  public func removeAbandoned(_ id: String) -> Bool {
    removeStaleCreating()
    let dir = directory(id)
    guard Files.isDirectory(dir), !Files.exists(dir + "/state.json") else { return false }
    // Busy: a create is still running. Checked again once locked: it may have finished.
    guard let lock = try? lock(dir, nonBlocking: true), !Files.exists(dir + "/state.json") else { return false }
    Files.removeTree(dir)
    _ = consume lock
    return true
  }

  /// Private directories of creates killed between mkdir and rename (see create): those whose
  /// hull is gone (the pid in the name is dead) and whose lock is free.
  func removeStaleCreating() {
    for name in Files.list(root) where name.hasPrefix(StateStore.creatingPrefix) {
      let fields = name.dropFirst(StateStore.creatingPrefix.count).split(separator: ".")
      guard let pid = fields.first.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
      let path = root + "/" + name
      guard let lock = try? lock(path, nonBlocking: true) else { continue }
      Files.removeTree(path)
      _ = consume lock
    }
  }

  /// The files hull keeps in a container's directory are unlinked by name and the directory
  /// removed; anything else found there (checkpoint work, a stray temp file) makes the rmdir
  /// fail and the whole tree is walked then. The walk costs six syscalls more than the names.
  public func remove(_ id: String) {
    let dir = directory(id)
    for name in ["started", "state.json", StateStore.essentialsName] { unlink(dir + "/" + name) }
    if rmdir(dir) != 0 && errno != ENOENT { Files.removeTree(dir) }
  }

  /// Ids of every container under the root (directories holding a state.json).
  public func ids() -> [String] {
    Files.list(root).filter { Files.exists(root + "/" + $0 + "/state.json") }.sorted()
  }
}
