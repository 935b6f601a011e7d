import LinuxKit

/// Device rules → DevicePolicy and DeviceAllow, as runc 1.1.5's generateDeviceProperties: the
/// rules are played through a v1 devices-cgroup emulator and, when the result is an allow
/// list (the usual case: hull's policy starts by denying everything), sent as
/// DevicePolicy=strict plus one DeviceAllow entry per allowed device or class:
///   c *:* m   → "char-*"            (type wildcards)
///   c 136:* … → "char-pts"          (a major's group name from /proc/devices)
///   c 1:3 …   → "/dev/char/1:3"     (systemd parses the numbers; the node need not exist)
/// `*:N` rules have no systemd form and are left out with a warning, as by runc (systemd's
/// own program is then stricter than hull's for them).
///
/// Where runc differs: when the rules end up as a deny list (a rule allowing everything,
/// e.g. a privileged container), runc sends strict with an empty allow list and relies on
/// replacing systemd's cgroup v2 device program with its own; hull attaches its program
/// next to systemd's (BPF_F_ALLOW_MULTI, both must allow), so it sends DevicePolicy=auto
/// with an empty list (no systemd program) and its own program or v1 files enforce the
/// exact rules.
enum SystemdDeviceProperties {
  static func properties(
    _ rules: [CgroupLimits.DeviceRule], groups: DeviceGroups,
    warnings: inout [String]
  ) throws(CgroupError) -> [UnitProperty] {
    guard !rules.isEmpty else { return [] }
    var emulator = DeviceEmulator()
    for rule in rules { emulator.apply(rule) }
    guard !emulator.defaultAllow else {
      return [.init("DevicePolicy", .string("auto")), .init("DeviceAllow", .structs(fields: "ss", []))]
    }
    var entries: [[BusValue]] = []
    for allowed in emulator.rules {
      let kind = allowed.type == "b" ? "block" : "char"
      let path: String
      switch (allowed.major, allowed.minor) {
      case (nil, nil): path = kind + "-*"
      case (nil, .some):
        warnings.append(
          "linux.resources.devices: \(allowed.v1Line): systemd has no form for \"*:N\" rules; left out of the unit's DeviceAllow (hull's own device rules still allow it)"
        )
        continue
      case (let major?, nil):
        guard let group = groups.name(type: allowed.type, major: major) else {
          warnings.append(
            "linux.resources.devices: \(allowed.v1Line): no \(kind) device group with major \(major) in /proc/devices; left out of the unit's DeviceAllow"
          )
          continue
        }
        path = kind + "-" + group
      case (let major?, let minor?): path = "/dev/\(kind)/\(major):\(minor)"
      }
      entries.append([.string(path), .string(allowed.access)])
    }
    return [.init("DevicePolicy", .string("strict")), .init("DeviceAllow", .structs(fields: "ss", entries))]
  }
}

/// The result of v1 devices.allow/devices.deny writes: a default (allow or deny everything)
/// and the exceptions to it, each with its access ("rwm" order). An "a" rule resets both, as
/// the kernel does; an allow in an allow list adds access, a deny takes it away (and the
/// reverse in a deny list).
struct DeviceEmulator {
  private(set) var defaultAllow = true
  private(set) var rules: [CgroupLimits.DeviceRule] = []

  mutating func apply(_ rule: CgroupLimits.DeviceRule) {
    if rule.type == "a" {
      defaultAllow = rule.allow
      rules = []
      return
    }
    // An exception of the list: an allow in an allow list (deny in a deny list) adds access.
    let adds = rule.allow != defaultAllow
    let index = rules.firstIndex { $0.type == rule.type && $0.major == rule.major && $0.minor == rule.minor }
    if adds {
      if let index {
        rules[index].access = Self.merge(rules[index].access, rule.access)
      } else {
        var exception = rule
        exception.access = Self.merge("", rule.access)
        rules.append(exception)
      }
    } else if let index {
      let left = rules[index].access.filter { !rule.access.contains($0) }
      if left.isEmpty { rules.remove(at: index) } else { rules[index].access = left }
    }
  }

  /// The union of two access strings, in "rwm" order.
  static func merge(_ a: String, _ b: String) -> String {
    "rwm".filter { a.contains($0) || b.contains($0) }
  }
}

/// /proc/devices: the group name of each character and block major ("136 pts").
public struct DeviceGroups: Sendable {
  var char: [Int64: String] = [:]
  var block: [Int64: String] = [:]

  public init(procDevices text: String) {
    var block = false
    for line in text.split(separator: "\n") {
      if line.hasPrefix("Character devices:") {
        block = false
        continue
      }
      if line.hasPrefix("Block devices:") {
        block = true
        continue
      }
      let words = line.split(separator: " ")
      guard words.count == 2, let major = Int64(words[0]) else { continue }
      if block { self.block[major] = String(words[1]) } else { char[major] = String(words[1]) }
    }
  }

  public static func current() -> DeviceGroups { DeviceGroups(procDevices: Files.readIfPresent("/proc/devices") ?? "") }

  func name(type: Character, major: Int64) -> String? { type == "b" ? block[major] : char[major] }
}
