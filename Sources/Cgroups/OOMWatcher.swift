import Glibc
import LinuxKit

/// OOM notifications for one cgroup, as a pollable fd (events waits on it with poll, so
/// hull stays single-threaded).
/// - v1: an eventfd registered on memory.oom_control through cgroup.event_control; the
///   kernel adds 1 for every OOM in the cgroup (and signals once when it is removed).
/// - v2: an inotify watch on memory.events; the oom_kill counter says how many happened.
public struct OOMWatcher: Sendable {
  public let fd: Int32
  let memoryEvents: String?  // v2: the memory.events file
  var lastKills: UInt64 = 0

  static func v1(dir: String) throws(CgroupError) -> OOMWatcher {
    let control = dir + "/memory.oom_control"
    let oomFD = Files.open(control, O_RDONLY | O_CLOEXEC)
    guard oomFD >= 0 else {
      throw CgroupError("watch OOM events: open", control, errno: errno)
    }
    defer { Glibc.close(oomFD) }
    let efd = EventFD.make(nonBlocking: true)
    guard efd >= 0 else { throw CgroupError("watch OOM events: eventfd", "", errno: errno) }
    do {
      try CgroupFiles.write(dir, "cgroup.event_control", "\(efd) \(oomFD)", field: nil)
    } catch {
      Glibc.close(efd)
      throw error
    }
    return OOMWatcher(fd: efd, memoryEvents: nil)
  }

  static func v2(dir: String) throws(CgroupError) -> OOMWatcher {
    let file = dir + "/memory.events"
    let ifd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
    guard ifd >= 0 else { throw CgroupError("watch OOM events: inotify_init1", "", errno: errno) }
    guard inotify_add_watch(ifd, file, UInt32(IN_MODIFY)) >= 0 else {
      let e = errno
      Glibc.close(ifd)
      throw CgroupError("watch OOM events: inotify_add_watch", file, errno: e)
    }
    var w = OOMWatcher(fd: ifd, memoryEvents: file)
    w.lastKills = w.currentKills()
    return w
  }

  func currentKills() -> UInt64 {
    guard let memoryEvents, let text = Files.readIfPresent(memoryEvents) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("oom_kill ") {
      return UInt64(line.dropFirst(9)) ?? 0
    }
    return 0
  }

  /// OOM events since the last call; never blocks (call it when poll says readable, and
  /// once more after the container exits so a kill racing the exit is not lost).
  public mutating func drain() -> Int {
    var buffer = [UInt8](repeating: 0, count: 4096)
    if memoryEvents == nil {
      var count: UInt64 = 0
      let n = withUnsafeMutableBytes(of: &count) { Glibc.read(fd, $0.baseAddress, 8) }
      return n == 8 ? Int(count) : 0
    }
    while buffer.withUnsafeMutableBytes({ Glibc.read(fd, $0.baseAddress, $0.count) }) > 0 {}
    let kills = currentKills()
    defer { lastKills = kills }
    return kills > lastKills ? Int(kills - lastKills) : 0
  }

  public func close() { Glibc.close(fd) }
}
