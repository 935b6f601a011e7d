import LinuxKit

/// How this host mounts cgroups: v1 hierarchies, the unified (v2) hierarchy, or both.
public struct CgroupHost: Sendable, Equatable {
  /// Super options of a v1 cgroup mount that are not controller names.
  static let ignoredMountOptions: [String] = [
    "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children", "xattr",
  ]

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

  /// A host laid out under one directory: the injectable root that lets both drivers run
  /// on a temp-dir fake cgroupfs. v1 hierarchies are `root/<controller>`; the unified
  /// hierarchy is `root` itself (unified mode) or `root/unified` (hybrid).
  public init(root: String, mode: Mode, v1Controllers: [String] = CgroupHost.v1Controllers) {
    let hierarchies =
      mode == .unified
      ? []
      : v1Controllers.map {
        Hierarchy(mountPoint: root + "/" + $0, controllers: [$0])
      }
    let unified: String? =
      switch mode {
      case .v1: nil
      case .hybrid: root + "/unified"
      case .unified: root
      }
    self.init(v1: hierarchies, unifiedMountPoint: unified)
  }

  /// The v1 controllers a runtime uses, as mounted on this machine.
  public static let v1Controllers = [
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
  ]

  /// Controllers the unified hierarchy offers (its root's cgroup.controllers).
  public var unifiedControllers: [String] {
    guard let unifiedMountPoint, let text = Files.readIfPresent(unifiedMountPoint + "/cgroup.controllers") else {
      return []
    }
    return text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
  }

  /// This process's view, read once: every command needs it and mountinfo does not change under us.
  nonisolated(unsafe) private static var cachedHost: CgroupHost?

  public static func current() -> CgroupHost {
    if let cachedHost { return cachedHost }
    let host = detect()
    cachedHost = host
    return host
  }

  /// Reads /proc/self/mountinfo (or the given text) for cgroup and cgroup2 mounts.
  /// Byte-level: this runs on every start, and String splitting showed in profiles.
  public static func detect(mountinfo: String? = nil) -> CgroupHost {
    let bytes = mountinfo.map { Array($0.utf8) } ?? ((try? Files.read("/proc/self/mountinfo")) ?? [])
    var hierarchies: [Hierarchy] = []
    var unified: String?
    var lineStart = 0
    while lineStart < bytes.count {
      var lineEnd = lineStart
      while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
      defer { lineStart = lineEnd + 1 }
      // "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory"
      var fields: [Range<Int>] = []
      var i = lineStart
      while i < lineEnd {
        while i < lineEnd && bytes[i] == 0x20 { i += 1 }
        let start = i
        while i < lineEnd && bytes[i] != 0x20 { i += 1 }
        if start < i { fields.append(start..<i) }
      }
      guard fields.count >= 7, let dash = fields.firstIndex(where: { $0.count == 1 && bytes[$0.lowerBound] == 0x2D }),
        dash + 1 < fields.count
      else { continue }
      let fsType = bytes[fields[dash + 1]]
      let isV1 = fsType.elementsEqual("cgroup".utf8)
      let isV2 = fsType.elementsEqual("cgroup2".utf8)
      if !isV1 && !isV2 { continue }
      // Only a hierarchy's root: bind mounts of cgroup subdirectories (a container's own
      // /sys/fs/cgroup, seen from the host while it starts) are not hierarchies.
      guard fields[3].count == 1 && bytes[fields[3].lowerBound] == 0x2F else { continue }
      let mountPoint = unescape(String(decoding: bytes[fields[4]], as: UTF8.self))
      if isV2 {
        if unified == nil { unified = mountPoint }
        continue
      }
      guard dash + 3 < fields.count else { continue }
      let controllers = String(decoding: bytes[fields[dash + 3]], as: UTF8.self).split(separator: ",")
        .map(String.init).filter { !ignoredMountOptions.contains($0) && !$0.hasPrefix("release_agent=") }
      if !controllers.isEmpty && !hierarchies.contains(where: { $0.mountPoint == mountPoint }) {
        hierarchies.append(Hierarchy(mountPoint: mountPoint, controllers: controllers))
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
