import LinuxKit

/// How this host mounts cgroups: v1 hierarchies, the unified (v2) hierarchy, or both.
public struct CgroupHost: Sendable, Equatable {
  public enum Mode: String, Sendable { case v1, hybrid, unified }

  /// One mounted v1 hierarchy: its mount point and the controllers bound to it
  /// ("name=systemd" for named hierarchies).
  public struct Hierarchy: Sendable, Equatable {
    public var mountPoint: String
    public var controllers: [String]
    public init(mountPoint: String, controllers: [String]) {
      self.mountPoint = mountPoint
      self.controllers = controllers
    }
  }

  public var v1: [Hierarchy]
  public var unifiedMountPoint: String?

  public var mode: Mode {
    if v1.isEmpty { return .unified }
    return unifiedMountPoint == nil ? .v1 : .hybrid
  }

  public init(v1: [Hierarchy], unifiedMountPoint: String?) {
    self.v1 = v1
    self.unifiedMountPoint = unifiedMountPoint
  }

  /// The v1 hierarchy holding `controller`, if mounted.
  public func hierarchy(for controller: String) -> Hierarchy? {
    v1.first { $0.controllers.contains(controller) }
  }

  /// Reads /proc/self/mountinfo (or the given text) for cgroup and cgroup2 mounts.
  public static func detect(mountinfo: String? = nil) -> CgroupHost {
    let text = mountinfo ?? Files.readIfPresent("/proc/self/mountinfo") ?? ""
    var hierarchies: [Hierarchy] = []
    var unified: String?
    for line in text.split(separator: "\n") {
      // "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory"
      let words = line.split(separator: " ")
      guard let dash = words.firstIndex(of: "-") else { continue }
      let head = words[..<dash]
      let tail = Array(words[(dash + 1)...])
      guard head.count >= 5, tail.count >= 3 else { continue }
      let mountPoint = unescape(String(head[head.startIndex + 4]))
      switch tail[0] {
      case "cgroup2":
        if unified == nil { unified = mountPoint }
      case "cgroup":
        let controllers = tail[2].split(separator: ",").map(String.init).filter {
          !["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr"].contains($0)
            && !$0.hasPrefix("release_agent=")
        }
        if !controllers.isEmpty && !hierarchies.contains(where: { $0.mountPoint == mountPoint }) {
          hierarchies.append(Hierarchy(mountPoint: mountPoint, controllers: controllers))
        }
      default: continue
      }
    }
    return CgroupHost(v1: hierarchies, unifiedMountPoint: unified)
  }

  /// mountinfo escapes space, tab, newline and backslash as octal.
  static func unescape(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var out = [UInt8]()
    let bytes = Array(s.utf8)
    var i = 0
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
        let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
      {
        out.append(v)
        i += 4
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
