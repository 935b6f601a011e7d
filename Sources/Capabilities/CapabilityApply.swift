import CCap
import CLinux
import Glibc
import LinuxKit

extension CapabilityPlan {
  /// Drops every capability outside `bounding` from the bounding set. Needs CAP_SETPCAP,
  /// so it runs before the user switch and before `applySets`.
  public func dropBoundingSet() throws(SystemError) {
    let keep = bounding  // a handful of entries: an array beats a Set's first-use cost
    let last = CapabilityPlan.lastCapability
    var cap: Int32 = 0
    while cap <= last {
      if !keep.contains(cap) && CapabilityPlan.inHostBoundingSet(cap) {
        if hk_prctl(PR_CAPBSET_DROP, UInt(cap), 0, 0, 0) != 0 {
          throw SystemError("drop bounding capability \(cap)")
        }
      }
      cap += 1
    }
  }

  /// Sets effective, permitted and inheritable with libcap, then raises ambient ones.
  /// Ambient raises that the kernel refuses (not in permitted and inheritable) are skipped,
  /// as crun and runc do: the default `runc spec` lists ambient without inheritable.
  public func applySets() throws(SystemError) {
    guard let caps = cap_init() else { throw SystemError("cap_init") }
    defer { cap_free(UnsafeMutableRawPointer(caps)) }
    func set(_ flag: cap_flag_t, _ values: [Int32]) -> Bool {
      if values.isEmpty { return true }
      var list = values.map { cap_value_t($0) }
      return cap_set_flag(caps, flag, Int32(list.count), &list, CAP_SET) == 0
    }
    guard set(CAP_EFFECTIVE, effective), set(CAP_PERMITTED, permitted), set(CAP_INHERITABLE, inheritable) else {
      throw SystemError("cap_set_flag")
    }
    if cap_set_proc(caps) != 0 { throw SystemError("capset") }
    for cap in ambient {
      if hk_prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_RAISE), UInt(cap), 0, 0) != 0 && errno != EPERM && errno != EINVAL {
        throw SystemError("raise ambient capability \(cap)")
      }
    }
  }
}
