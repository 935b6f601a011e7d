// CgroupCleaner: removes the cgroups the test-bed gave its containers, in every mounted hierarchy.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The remove functions return what could not be removed instead of throwing, so a cleanup goes as far as it
/// can. Only processes listed in cgroups under the prefix are signalled; nothing outside it is read or touched.
public struct CgroupCleaner: Sendable {
  /// An absolute cgroup path owned by the caller, e.g. "/drydock-bench-4242".
  public let prefix: String
  /// Every v1 hierarchy and the cgroup2 mount.
  public let mounts: [CgroupMount]

  /// Refuses "/", relative paths, "..", and anything under /process_api.
  public init(prefix: String, mounts: [CgroupMount] = HostInfo.cgroupMounts()) throws {
    let components = prefix.split(separator: "/")
    guard prefix.hasPrefix("/"), !components.isEmpty, !components.contains(".."), !components.contains("."),
      components.first != "process_api"
    else {
      throw HarnessError(
        .kit, operation: "cgroup prefix", path: prefix, errno: EINVAL,
        message: "must be an absolute path of the caller's own below the root (not /process_api)")
    }
    self.prefix = "/" + components.joined(separator: "/")
    self.mounts = mounts
  }

  /// "/<label>-<pid>-<random>".
  public static func uniquePrefix(_ label: String) -> String {
    "/\(label)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
  }

  /// The path is the prefix or below it.
  public func owns(_ cgroupsPath: String) -> Bool {
    let normalized = "/" + cgroupsPath.split(separator: "/").joined(separator: "/")
    return !cgroupsPath.split(separator: "/").contains("..")
      && (normalized == prefix || normalized.hasPrefix(prefix + "/"))
  }

  /// The directory of that path in each hierarchy (existing or not).
  public func directories(for cgroupsPath: String) -> [String] {
    let relative = cgroupsPath.split(separator: "/").joined(separator: "/")
    return mounts.map { "\($0.path)/\(relative)" }
  }

  /// The same as remove(cgroupsPath:) for the whole prefix.
  public func removeAll(killTimeout: Double = 5) -> [HarnessError] {
    remove(cgroupsPath: prefix, killTimeout: killTimeout)
  }

  /// Thaws, SIGKILLs the processes inside, then removes the directories, leaves first.
  public func remove(cgroupsPath: String, killTimeout: Double = 5) -> [HarnessError] {
    guard owns(cgroupsPath) else {
      return [
        HarnessError(
          .kit, operation: "remove cgroup", path: cgroupsPath, errno: EPERM,
          message: "outside the cleaner's prefix \(prefix): left alone")
      ]
    }
    let roots = directories(for: cgroupsPath).filter { FileManager.default.fileExists(atPath: $0) }
    guard !roots.isEmpty else { return [] }
    // Deepest first, so each rmdir meets an empty directory.
    let found: [String] = roots.flatMap { (root: String) -> [String] in Self.tree(root) }
    let all: [String] = found.sorted { $0.split(separator: "/").count > $1.split(separator: "/").count }
    // A frozen (paused) container ignores SIGKILL until thawed.
    for directory in all where FileManager.default.fileExists(atPath: directory + "/freezer.state") {
      _ = Self.write("THAWED", to: directory + "/freezer.state")
    }
    killMembers(of: all, timeout: killTimeout)
    var failures: [HarnessError] = []
    let deadline = ProcessRunner.monotonicNanoseconds() + UInt64(killTimeout * 1e9)
    for directory in all {
      while rmdir(directory) != 0 {
        let code = errno
        if code == ENOENT { break }
        // EBUSY right after a kill: the exiting tasks are still being released; retry briefly.
        if code == EBUSY && ProcessRunner.monotonicNanoseconds() < deadline {
          killMembers(of: [directory], timeout: 0.1)
          usleep(2000)
          continue
        }
        failures.append(.posix(.kit, "rmdir", path: directory, errno: code))
        break
      }
    }
    return failures
  }

  /// SIGKILL every process listed in these cgroups and wait (on pidfds) until they have exited.
  private func killMembers(of directories: [String], timeout: Double) {
    var pids = Set<Int32>()
    for directory in directories {
      guard let text = try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8) else { continue }
      for line in text.split(separator: "\n") { if let pid = Int32(line), pid > 1 { pids.insert(pid) } }
    }
    guard !pids.isEmpty else { return }
    var descriptors: [Int32] = []
    for pid in pids {
      if let open = pidfdOpenFunction {
        let fd = open(pid, 0)
        if fd >= 0 { descriptors.append(fd) }
      }
      kill(pid, SIGKILL)
    }
    defer { for fd in descriptors { close(fd) } }
    let deadline = ProcessRunner.monotonicNanoseconds() + UInt64(timeout * 1e9)
    var waiting = descriptors
    while !waiting.isEmpty {
      let now = ProcessRunner.monotonicNanoseconds()
      guard now < deadline else { return }
      var fds = waiting.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      let ready = poll(&fds, nfds_t(fds.count), Int32((deadline - now) / 1_000_000) + 1)
      if ready < 0 && errno != EINTR { return }
      waiting = fds.filter { $0.revents == 0 }.map(\.fd)
    }
  }

  /// The directory and every cgroup directory below it.
  private static func tree(_ root: String) -> [String] {
    var result = [root]
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return result }
    for entry in entries {
      var info = stat()
      let path = root + "/" + entry
      if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { result += tree(path) }
    }
    return result
  }

  static func write(_ text: String, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return text.withCString { Glibc.write(fd, $0, strlen($0)) } >= 0
  }
}
