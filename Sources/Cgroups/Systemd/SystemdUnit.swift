/// A container's systemd unit, from a `linux.cgroupsPath` of the form "slice:prefix:name" under
/// --systemd-cgroup, resolved as runc 1.1.5 does (libcontainer/specconv and cgroups/systemd):
/// an empty cgroupsPath is ":hull:<id>"; an empty slice is system.slice (user.slice under a user
/// manager); the unit is "<prefix>-<name>.scope", or the name itself when it ends in ".slice"
/// (a slice cannot hold processes: systemd then refuses PIDs, for runc 1.1.5 too);
/// the cgroup is the expanded slice plus the unit ("/system.slice/docker-abc.scope"), below the
/// user manager's own cgroup for a user manager (see SystemdScope.resolveUserPath).
public struct SystemdUnit: Sendable, Equatable {
  /// The unit name: "docker-abc.scope".
  public var name: String
  /// The parent slice as given or defaulted: "system.slice", "machine-x.slice".
  public var slice: String
  /// The slice's cgroup path: "/system.slice", "/machine.slice/machine-x.slice", "/" for "-.slice".
  public var slicePath: String
  /// The user's own manager (rootless), reached through the user's bus, not the system's.
  public var user: Bool
  /// The unit's Description= (runc: "libcontainer container <name>").
  public var description: String

  public init(name: String, slice: String, slicePath: String, user: Bool, description: String) {
    self.name = name
    self.slice = slice
    self.slicePath = slicePath
    self.user = user
    self.description = description
  }

  /// A slice (name ending in ".slice") rather than a scope: runc creates it with Wants=<slice>
  /// instead of Slice=, and without Delegate=.
  public var isSlice: Bool { name.hasSuffix(".slice") }

  /// The cgroup path relative to the hierarchy root (the user manager's cgroup prepended by
  /// the caller when `user`).
  public var path: String { (slicePath == "/" ? "" : slicePath) + "/" + name }

  static let field = "linux.cgroupsPath"

  /// Parses `cgroupsPath` ("" for none) for container `id`.
  public static func parse(_ cgroupsPath: String, id: String, user: Bool) throws(CgroupError) -> SystemdUnit {
    var parts =
      cgroupsPath.isEmpty
      ? ["", "hull", id] : cgroupsPath.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3 else {
      throw CgroupError.invalid(
        field,
        "\"\(cgroupsPath)\": expected \"slice:prefix:name\" with --systemd-cgroup (e.g. \"system.slice:docker:abc\")")
    }
    if parts[0].isEmpty { parts[0] = user ? "user.slice" : "system.slice" }
    // An empty prefix or name is kept, as runc keeps it ("-abc.scope", "docker-.scope").
    let (slice, prefix, name) = (parts[0], parts[1], parts[2])
    let slicePath: String
    do { slicePath = try expandSlice(slice) } catch {
      throw CgroupError.invalid(field, "\"\(cgroupsPath)\": \(error.detail ?? "invalid slice")")
    }
    let unit = name.hasSuffix(".slice") ? name : prefix + "-" + name + ".scope"
    if let bad = invalidUnitName(unit) {
      throw CgroupError.invalid(field, "\"\(cgroupsPath)\": unit name \"\(unit)\" \(bad)")
    }
    return SystemdUnit(
      name: unit, slice: slice, slicePath: slicePath, user: user, description: "hull container \(name)")
  }

  /// runc's ExpandSlice: "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice", "-.slice" → "/".
  /// No "/", no empty component ("-a.slice", "a--b.slice", "a-.slice", ".slice").
  public static func expandSlice(_ slice: String) throws(CgroupError) -> String {
    let suffix = ".slice"
    guard slice.hasSuffix(suffix), !slice.contains("/") else {
      throw CgroupError.invalid(field, "invalid slice name \"\(slice)\" (a slice name ends in .slice and has no /)")
    }
    let base = slice.dropLast(suffix.count)
    if base == "-" { return "/" }
    var path = ""
    var prefix = ""
    for component in base.split(separator: "-", omittingEmptySubsequences: false) {
      guard !component.isEmpty else {
        throw CgroupError.invalid(field, "invalid slice name \"\(slice)\" (empty component between dashes)")
      }
      path += "/" + prefix + component + suffix
      prefix += component + "-"
    }
    return path
  }

  /// What systemd's unit_name_is_valid would refuse, said before asking it: at most 255
  /// bytes, and only ASCII letters, digits and ":-_.\@" (the unit would be refused by systemd
  /// with a less helpful message). nil when valid.
  static func invalidUnitName(_ unit: String) -> String? {
    if unit.utf8.count > 255 { return "is longer than 255 bytes" }
    for byte in unit.utf8 {
      let ok =
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        || byte == UInt8(ascii: ".")
        || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "@")
      if !ok { return "has a character systemd refuses in unit names (\(String(decoding: [byte], as: UTF8.self)))" }
    }
    return nil
  }
}
