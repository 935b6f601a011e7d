import CLinux
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

  /// A held lock on a container directory; released when closed (or at exit).
  public struct Lock: ~Copyable {
    public let fd: Int32
    public let directory: String
    deinit { Glibc.close(fd) }
  }

  /// Creates the container's directory (refusing an existing id) and locks it.
  public func create(_ id: String) throws(RuntimeError) -> Lock {
    do {
      try Files.makeDirectories(root, mode: 0o711)
    } catch { throw RuntimeError(error, context: "create state root") }
    let dir = directory(id)
    if mkdir(dir, 0o711) != 0 {
      if errno == EEXIST { throw RuntimeError("create container \(id)", reason: "container with id \"\(id)\" already exists", errno: EEXIST) }
      throw RuntimeError(SystemError("mkdir", dir), context: "create container")
    }
    return try lock(dir)
  }

  /// Locks an existing container's directory; "container does not exist" otherwise.
  public func open(_ id: String, shared: Bool = false) throws(RuntimeError) -> Lock {
    let dir = directory(id)
    guard Files.exists(dir + "/state.json") else { throw RuntimeError.notFound(id) }
    return try lock(dir, shared: shared)
  }

  private func lock(_ dir: String, shared: Bool = false) throws(RuntimeError) -> Lock {
    let fd = hk_open_mode(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
    if fd < 0 { throw RuntimeError(SystemError("open", dir)) }
    while flock(fd, shared ? LOCK_SH : LOCK_EX) != 0 {
      if errno == EINTR { continue }
      let e = errno
      Glibc.close(fd)
      throw RuntimeError(SystemError("lock", dir, errno: e))
    }
    return Lock(fd: fd, directory: dir)
  }

  public func load(_ id: String) throws(RuntimeError) -> ContainerRecord {
    let file = directory(id) + "/state.json"
    let bytes: [UInt8]
    do { bytes = try Files.read(file, limit: 4 << 20) } catch {
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
    let fd = hk_open_mode(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
    if fd < 0 { throw RuntimeError(SystemError("create", path), context: "mark started") }
    Glibc.close(fd)
  }

  /// --pid-file of create, run, exec and restore: the pid as text, written whole.
  public static func writePidFile(_ path: String, pid: Int32) throws(RuntimeError) {
    do { try Files.writeAtomically(path, Array(String(pid).utf8), mode: 0o644) } catch {
      throw RuntimeError(error, context: "write pid file")
    }
  }

  /// Written whole and renamed into place (see Files.writeAtomically).
  public func save(_ record: ContainerRecord) throws(RuntimeError) {
    do { try Files.writeAtomically(directory(record.id) + "/state.json", Array(record.json().utf8)) } catch {
      throw RuntimeError(error, context: "write state")
    }
  }

  /// Removes the directory of a create that died before writing any state, when no live
  /// hull holds its lock. True when something was removed.
  public func removeAbandoned(_ id: String) -> Bool {
    let dir = directory(id)
    guard Files.isDirectory(dir), !Files.exists(dir + "/state.json") else { return false }
    let fd = hk_open_mode(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
    guard fd >= 0 else { return false }
    defer { Glibc.close(fd) }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }  // a create is still running
    Files.removeTree(dir)
    return true
  }

  public func remove(_ id: String) {
    Files.removeTree(directory(id))
  }

  /// Ids of every container under the root (directories holding a state.json).
  public func ids() -> [String] {
    Files.list(root).filter { Files.exists(root + "/" + $0 + "/state.json") }.sorted()
  }
}
