import CCap
import Glibc
import LinuxKit

/// The five capability sets of a container process, as kernel capability numbers.
/// Computed in the parent from names (libcap's cap_from_name); applied in the child.
/// Following runtime-spec 1.1+, a name the kernel does not know, or a capability the
/// host's bounding set lacks (CAP_SYS_RESOURCE on these machines), is a warning and
/// is left out; the container still starts.
public struct CapabilityPlan: Sendable, Equatable {
  public var bounding: [Int32] = []
  public var effective: [Int32] = []
  public var permitted: [Int32] = []
  public var inheritable: [Int32] = []
  public var ambient: [Int32] = []
  public var warnings: [String] = []
  /// The highest capability number the kernel knows (CAP_LAST_CAP), read when planning:
  /// the bounding set is dropped up to it.
  public var lastCapability: Int32

  /// No capabilities at all.
  public init(lastCapability: Int32 = CapabilityPlan.hostLastCapability) {
    self.lastCapability = lastCapability
  }

  /// Highest capability number this kernel knows (CAP_LAST_CAP). libcap found it when the
  /// process started (its constructor probes PR_CAPBSET_READ); /proc/sys/kernel/cap_last_cap
  /// would cost another open and read per start.
  public static var hostLastCapability: Int32 { Int32(cap_max_bits()) - 1 }

  /// Is `cap` in this process's bounding set?
  public static func inHostBoundingSet(_ cap: Int32) -> Bool {
    LinuxSyscalls().prctl(PR_CAPBSET_READ, UInt(cap)) == 1
  }

  /// Maps a name like "CAP_NET_ADMIN" to its number, or nil when libcap does not know it.
  public static func number(of name: String, last: Int32 = hostLastCapability) -> Int32? {
    var value: cap_value_t = 0
    let rc = name.lowercased().withCString { cap_from_name($0, &value) }
    guard rc == 0, value >= 0, value <= last else { return nil }
    return Int32(value)
  }

  /// The sets from names. The host's facts are parameters (the planner's tests give their own):
  /// `lastCapability`, and `inBoundingSet`, whether this process's bounding set holds a number.
  public init(
    bounding: [String], effective: [String], permitted: [String], inheritable: [String], ambient: [String],
    lastCapability last: Int32 = CapabilityPlan.hostLastCapability,
    inBoundingSet: (Int32) -> Bool = CapabilityPlan.inHostBoundingSet
  ) {
    // Arrays, not Dictionary/Set: see Mounts.flag on first-use costs in a static binary.
    var known: [String] = []
    var numbers: [Int32] = []
    var bounded: [Bool] = []  // inBoundingSet, asked once per name: the sets repeat the same names
    var warned: [String] = []
    lastCapability = last
    func resolve(_ names: [String], _ set: String) -> [Int32] {
      var out: [Int32] = []
      for name in names {
        let number: Int32?
        let inBounding: Bool
        if let index = known.firstIndex(of: name) {
          number = numbers[index] >= 0 ? numbers[index] : nil
          inBounding = bounded[index]
        } else {
          number = CapabilityPlan.number(of: name, last: last)
          inBounding = number.map(inBoundingSet) ?? false
          known.append(name)
          numbers.append(number ?? -1)
          bounded.append(inBounding)
        }
        guard let number else {
          if !warned.contains(name) {
            warned.append(name)
            warnings.append("process.capabilities.\(set): unknown capability \"\(name)\": ignored")
          }
          continue
        }
        guard inBounding else {
          if !warned.contains(name) {
            warned.append(name)
            warnings.append(
              "process.capabilities.\(set): \(name) is not in the host's bounding set and cannot be granted: ignored")
          }
          continue
        }
        if !out.contains(number) { out.append(number) }
      }
      return out
    }
    self.bounding = resolve(bounding, "bounding")
    self.effective = resolve(effective, "effective")
    self.permitted = resolve(permitted, "permitted")
    self.inheritable = resolve(inheritable, "inheritable")
    self.ambient = resolve(ambient, "ambient")
  }
}
