import Glibc
import LinuxKit

extension CapabilityPlan {
  /// Drops every capability outside `bounding` from the bounding set. Needs CAP_SETPCAP,
  /// so it runs before the user switch and before `applySets`.
  @inlinable
  public func dropBoundingSet<S: Syscalls>(using kernel: S) throws(SystemError) {
    let keep = bounding  // a handful of entries: an array beats a Set's first-use cost
    var cap: Int32 = 0
    // No PR_CAPBSET_READ first: dropping a capability the set lacks succeeds (the kernel
    // only clears its bit), and the reads were 41 syscalls of every start. Without
    // CAP_SETPCAP (EPERM) a capability already gone is still no error, as before.
    while cap <= lastCapability {
      if !keep.contains(cap) && kernel.prctl(PR_CAPBSET_DROP, UInt(cap)) != 0 {
        let dropErrno = errno
        if !(dropErrno == EPERM && kernel.prctl(PR_CAPBSET_READ, UInt(cap)) == 0) {
          throw SystemError("drop bounding capability \(cap)", errno: dropErrno)
        }
      }
      cap += 1
    }
  }

  /// Sets effective, permitted and inheritable (capset, as libcap's cap_set_proc), then raises
  /// ambient ones. Ambient raises that the kernel would refuse (not in permitted and inheritable)
  /// are skipped, as crun and runc do (they try and ignore the EPERM; here they are not tried):
  /// the default `runc spec` lists ambient without inheritable.
  @inlinable
  public func applySets<S: Syscalls>(using kernel: S) throws(SystemError) {
    if kernel.capset(
      effective: Self.mask(effective), permitted: Self.mask(permitted),
      inheritable: Self.mask(inheritable)) != 0
    {
      throw SystemError("capset")
    }
    for cap in ambient where permitted.contains(cap) && inheritable.contains(cap) {
      if kernel.prctl(PR_CAP_AMBIENT, UInt(PR_CAP_AMBIENT_RAISE), UInt(cap)) != 0 && errno != EPERM && errno != EINVAL {
        throw SystemError("raise ambient capability \(cap)")
      }
    }
  }

  /// Capability numbers as capset's bit set (capability N is bit N).
  @inlinable
  public static func mask(_ caps: [Int32]) -> UInt64 {
    caps.reduce(0) { $1 >= 0 && $1 < 64 ? $0 | (1 << UInt64($1)) : $0 }
  }
}
