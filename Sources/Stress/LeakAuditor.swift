// LeakAuditor: what a runtime left behind, by comparing the host before and after.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum LeakKind: String, Codable, Sendable, CaseIterable {
  case mount, cgroup
  case stateEntry = "state-entry"
  case process, zombie, fd, netns
}

public struct Leak: Codable, Sendable, Hashable, CustomStringConvertible {
  public var kind: LeakKind
  public var detail: String
  public init(_ kind: LeakKind, _ detail: String) {
    self.kind = kind
    self.detail = detail
  }
  public var description: String { "\(kind.rawValue): \(detail)" }
}

public struct MountLine: Hashable, Sendable {
  public var mountPoint: String
  /// The line without mount id, parent id and optional fields, which change when an unrelated mount is remade.
  public var key: String
}

public struct OwnProcess: Sendable, CustomStringConvertible {
  public var pid: Int32
  public var ppid: Int32
  public var state: Character
  public var command: String
  public var why: String
  public var netns: String?
  public var description: String {
    "pid \(pid) (ppid \(ppid), state \(state)) \(command.isEmpty ? "<no cmdline>" : command) [\(why)]"
      + (netns.map { " netns \($0)" } ?? "")
  }
}

public struct HostSnapshot: Sendable {
  public var mounts: [String: Int]
  public var stateEntries: Set<String>
  public var fds: [Int32: String]
  public var netns: Set<String>
}

/// What "ours" means is deliberately narrow: another session's containers, builds and cgroups are never looked
/// at beyond reading /proc, so a busy shared host gives no false leaks.
public struct LeakAuditor: Sendable {
  public var prefix: String
  public var stateRoot: String
  /// A process whose command line holds a marker is ours.
  public var markers: [String]
  public var cgroupMounts: [CgroupMount] = HostInfo.cgroupMounts()

  public init(prefix: String, stateRoot: String, markers: [String]) {
    self.prefix = prefix
    self.stateRoot = stateRoot
    self.markers = markers
  }

  public func snapshot() -> HostSnapshot {
    var mounts: [String: Int] = [:]
    for line in Self.mountLines() { mounts[line.key, default: 0] += 1 }
    return HostSnapshot(mounts: mounts, stateEntries: stateEntries(), fds: Self.openFDs(), netns: Self.namedNetns())
  }

  /// Every difference, plus anything alive in our cgroups.
  /// `settle`: seconds to wait for processes of ours to go away first (an exiting init is reaped by pid 1, which
  /// on these machines does it lazily), so only what stays is reported.
  public func audit(since before: HostSnapshot, settle: Double = 5) -> [Leak] {
    var leaks: [Leak] = []
    let deadline = ProcessRunner.monotonicNanoseconds() + UInt64(settle * 1e9)
    var processes = ownProcesses()
    while !processes.isEmpty && ProcessRunner.monotonicNanoseconds() < deadline {
      usleep(50_000)
      processes = ownProcesses()
    }
    var now: [String: Int] = [:]
    for line in Self.mountLines() { now[line.key, default: 0] += 1 }
    // Only mounts naming our work directory or cgroup prefix: other sessions mount and unmount all the time.
    let mine = markers + [prefix, stateRoot]
    for (key, count) in now.sorted(by: { $0.key < $1.key })
    where count > before.mounts[key, default: 0] && mine.contains(where: { key.contains($0) }) {
      leaks.append(
        Leak(
          .mount,
          key + (count - before.mounts[key, default: 0] > 1 ? " (x\(count - before.mounts[key, default: 0]))" : "")))
    }
    leaks += cgroupLeftovers(below: prefix).map { Leak(.cgroup, $0) }
    leaks += stateEntries().subtracting(before.stateEntries).sorted().map { Leak(.stateEntry, stateRoot + "/" + $0) }
    for process in processes {
      leaks.append(Leak(process.state == "Z" ? .zombie : .process, process.description))
      if let netns = process.netns { leaks.append(Leak(.netns, "\(netns) held by pid \(process.pid)")) }
    }
    for (fd, target) in Self.openFDs().sorted(by: { $0.key < $1.key }) where before.fds[fd] != target {
      leaks.append(Leak(.fd, "fd \(fd) -> \(target)"))
    }
    leaks += Self.namedNetns().subtracting(before.netns).sorted().map { Leak(.netns, "ip netns \($0)") }
    return leaks
  }

  /// Cgroup directories strictly below `path` in every hierarchy. The path itself is not counted: runtimes create
  /// the parents of a cgroupsPath and (runc, crun alike) never remove them.
  public func cgroupLeftovers(below path: String) -> [String] {
    var found: [String] = []
    func walk(_ directory: String) {
      guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
      for entry in entries.sorted() {
        let child = directory + "/" + entry
        var info = stat()
        if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
          found.append(child)
          walk(child)
        }
      }
    }
    for mount in cgroupMounts { walk(mount.path + path) }
    return found
  }

  func stateEntries() -> Set<String> {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []
    return Set(names.filter { !$0.hasPrefix(".drydock-exec-") })  // RuntimeDriver's own exec temp files
  }

  /// Processes that are ours: in a cgroup under the prefix, carrying a marker in their command line, or zombies
  /// whose parent is us or one of those.
  public func ownProcesses() -> [OwnProcess] {
    let me = getpid()
    var result: [OwnProcess] = []
    var zombies: [OwnProcess] = []
    for pid in ProcFiles.pids() where pid != me {
      guard let (state, ppid) = Self.stateAndParent(pid) else { continue }
      let command = Self.commandLine(pid)
      var why: String?
      if let cgroups = ProcFiles.text("/proc/\(pid)/cgroup") {
        for line in cgroups.split(separator: "\n") {
          let path = line.split(separator: ":", maxSplits: 2).last.map(String.init) ?? ""
          if path == prefix || path.hasPrefix(prefix + "/") {
            why = "cgroup \(path)"
            break
          }
        }
      }
      if why == nil, let marker = markers.first(where: { command.contains($0) }) {
        why = "command line holds \(marker)"
      }
      let netns = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"))
      let entry = OwnProcess(pid: pid, ppid: ppid, state: state, command: command, why: why ?? "", netns: nil)
      if why != nil {
        var own = entry
        if let netns, netns != Self.hostNetns { own.netns = netns }
        result.append(own)
      } else if state == "Z" {
        zombies.append(entry)
      }
    }
    let ownPids = Set(result.map(\.pid)).union([me])
    for var zombie in zombies where ownPids.contains(zombie.ppid) {
      zombie.why = zombie.ppid == me ? "unreaped child of the test-bed" : "unreaped child of pid \(zombie.ppid)"
      result.append(zombie)
    }
    return result.sorted { $0.pid < $1.pid }
  }

  static let hostNetns: String? = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")

  static func stateAndParent(_ pid: Int32) -> (Character, Int32)? {
    guard let stat = ProcFiles.text("/proc/\(pid)/stat"),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    // After "comm)": " S ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let state = fields[0].first, let ppid = Int32(fields[1]) else { return nil }
    return (state, ppid)
  }

  static func commandLine(_ pid: Int32) -> String {
    guard let data = ProcFiles.read("/proc/\(pid)/cmdline") else { return "" }
    return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
  }

  public static func mountLines() -> [MountLine] {
    guard let text = ProcFiles.text("/proc/self/mountinfo") else { return [] }
    return text.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ")
      guard fields.count > 5 else { return nil }
      // Optional fields (propagation peer groups) are left out: crun makes a bundle's rootfs mount private, which
      // changes its line without adding or removing a mount.
      let separator = fields.firstIndex(of: "-") ?? fields.count
      let key = (fields[2..<6] + ["-"] + fields[min(separator + 1, fields.count)...]).joined(separator: " ")
      return MountLine(mountPoint: String(fields[4]), key: key)
    }
  }

  /// The caller's open descriptors and what they point to (the directory stream reading them excluded).
  static func openFDs() -> [Int32: String] {
    var result: [Int32: String] = [:]
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [:] }
    for name in names {
      guard let fd = Int32(name),
        let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
      else { continue }
      if target.hasPrefix("/proc/") && target.hasSuffix("/fd") { continue }
      result[fd] = target
    }
    return result
  }

  static func namedNetns() -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
  }
}
