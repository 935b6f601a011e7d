// HostInfo: what the machine offers, read from /proc and /sys, recorded with every benchmark and used for skips.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum CgroupMode: String, Sendable, Codable {
  case v1, hybrid, unified, none
}

public struct CgroupMount: Sendable, Codable, Hashable {
  public var path: String
  public var version: Int
  /// v1: the options naming the hierarchy (["cpu"], ["cpu","cpuacct"], ["name=systemd"]); v2: cgroup.controllers.
  public var controllers: [String]
  public init(path: String, version: Int, controllers: [String]) {
    self.path = path
    self.version = version
    self.controllers = controllers
  }
}

public struct HostInfo: Sendable, Codable {
  /// From uname, as are kernelVersion and machine.
  public var kernelRelease: String
  public var kernelVersion: String
  public var machine: String
  public var cgroupMode: CgroupMode
  public var cgroupMounts: [CgroupMount]
  /// Every v1 controller or name mounted.
  public var v1Controllers: [String]
  /// cgroup.controllers of the cgroup2 mount.
  public var unifiedControllers: [String]
  /// Online CPUs (sysconf).
  public var cpus: Int
  /// 1, 5 and 15 minutes.
  public var loadAverage: [Double]
  /// CapBnd of this process.
  public var capabilityBoundingSet: UInt64

  public static func current() -> HostInfo {
    var names = utsname()
    uname(&names)
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
    let mounts = cgroupMounts()
    let v1 = mounts.filter { $0.version == 1 }
    let v2 = mounts.filter { $0.version == 2 }
    let mode: CgroupMode
    switch (v1.isEmpty, v2.isEmpty) {
    case (true, true): mode = .none
    case (true, false): mode = .unified
    case (false, true): mode = .v1
    case (false, false): mode = .hybrid
    }
    return HostInfo(
      kernelRelease: field(names.release), kernelVersion: field(names.version), machine: field(names.machine),
      cgroupMode: mode, cgroupMounts: mounts,
      v1Controllers: v1.flatMap(\.controllers).sorted(),
      unifiedControllers: v2.first?.controllers ?? [],
      cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
      loadAverage: loadAverageNow(),
      capabilityBoundingSet: readBoundingSet())
  }

  public static func loadAverageNow() -> [Double] {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
    return text.split(separator: " ").prefix(3).compactMap { Double($0) }
  }

  /// cgroup mounts from /proc/self/mountinfo (fields: ... mount point [4] ... " - " fstype source super-options).
  public static func cgroupMounts() -> [CgroupMount] {
    guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
    let v1Options: Set<String> = [
      "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "clone_children",
      "noprefix", "xattr", "cpuset_v2_mode", "favordynmods",
    ]
    var result: [CgroupMount] = []
    var seen = Set<String>()
    for line in text.split(separator: "\n") {
      let halves = line.components(separatedBy: " - ")
      guard halves.count == 2 else { continue }
      let left = halves[0].split(separator: " ")
      let right = halves[1].split(separator: " ")
      guard left.count >= 5, right.count >= 3 else { continue }
      let mountPoint = unescapeMountPath(String(left[4]))
      guard !seen.contains(mountPoint) else { continue }
      if right[0] == "cgroup" {
        let controllers = right[2].split(separator: ",").map(String.init)
          .filter { !v1Options.contains($0) && !$0.hasPrefix("release_agent=") }
        result.append(CgroupMount(path: mountPoint, version: 1, controllers: controllers))
        seen.insert(mountPoint)
      } else if right[0] == "cgroup2" {
        let listed = (try? String(contentsOfFile: mountPoint + "/cgroup.controllers", encoding: .utf8)) ?? ""
        result.append(
          CgroupMount(
            path: mountPoint, version: 2, controllers: listed.split(whereSeparator: \.isWhitespace).map(String.init)))
        seen.insert(mountPoint)
      }
    }
    return result
  }

  public static func binaryExists(_ pathOrName: String) -> Bool { resolveExecutable(pathOrName) != nil }

  /// The absolute path (a PATH lookup for bare names).
  public static func resolveExecutable(_ pathOrName: String) -> String? {
    if pathOrName.contains("/") {
      let absolute =
        pathOrName.hasPrefix("/")
        ? pathOrName
        : FileManager.default.currentDirectoryPath + "/" + pathOrName
      return access(absolute, X_OK) == 0 ? URL(fileURLWithPath: absolute).standardized.path : nil
    }
    let path =
      ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
      let candidate = "\(directory)/\(pathOrName)"
      var info = stat()
      if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
        return candidate
      }
    }
    return nil
  }

  public func hasCapabilityInBoundingSet(_ number: Int) -> Bool {
    number >= 0 && number < 64 && (capabilityBoundingSet >> UInt64(number)) & 1 == 1
  }

  private static func readBoundingSet() -> UInt64 {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") })
    else { return 0 }
    return UInt64(line.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
  }

  /// mountinfo escapes space, tab, newline and backslash as \ooo octal.
  private static func unescapeMountPath(_ text: String) -> String {
    guard text.contains("\\") else { return text }
    var bytes: [UInt8] = []
    let raw = Array(text.utf8)
    var i = 0
    while i < raw.count {
      if raw[i] == UInt8(ascii: "\\"), i + 3 < raw.count,
        let value = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
      {
        bytes.append(value)
        i += 4
      } else {
        bytes.append(raw[i])
        i += 1
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
