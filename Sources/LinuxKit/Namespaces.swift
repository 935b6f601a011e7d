import CLinux
import Glibc

/// Linux namespace kinds with their clone flags and /proc/PID/ns names.
public enum LinuxNamespace: String, Sendable, CaseIterable {
  case pid, network, mount, ipc, uts, user, cgroup, time

  /// CLONE_NEW* (sched.h's GNU-only constants are not imported into Swift: kernel_abi.h).
  public var cloneFlag: UInt64 {
    switch self {
    case .pid: return UInt64(HK_CLONE_NEWPID)
    case .network: return UInt64(HK_CLONE_NEWNET)
    case .mount: return UInt64(HK_CLONE_NEWNS)
    case .ipc: return UInt64(HK_CLONE_NEWIPC)
    case .uts: return UInt64(HK_CLONE_NEWUTS)
    case .user: return UInt64(HK_CLONE_NEWUSER)
    case .cgroup: return UInt64(HK_CLONE_NEWCGROUP)
    case .time: return UInt64(HK_CLONE_NEWTIME)
    }
  }

  /// The name under /proc/PID/ns/.
  public var procName: String {
    switch self {
    case .network: return "net"
    case .mount: return "mnt"
    default: return rawValue
    }
  }

  /// Joins the namespace at `path` (setns). A path of another namespace type fails with EINVAL.
  public static func join<S: Syscalls>(_ kind: LinuxNamespace, path: String, using kernel: S) throws(SystemError) {
    let fd = try check("open", path) { kernel.open(path, O_RDONLY | O_CLOEXEC, 0) }
    defer { close(fd) }
    if kernel.setns(fd, Int32(truncatingIfNeeded: kind.cloneFlag)) != 0 {
      let e = errno
      throw SystemError("setns \(kind.rawValue)", path, errno: e)
    }
  }

  /// setns(fd, flags): with a pidfd, several namespaces of that process at once; -1 + errno.
  public static func enter(_ fd: Int32, flags: Int32) -> Int32 { hk_setns(fd, flags) }

  /// unshare(flags); -1 + errno.
  public static func unshare(_ flags: Int32) -> Int32 { hk_unshare(flags) }

  /// A user namespace holding `uidMap`/`gidMap` (text as in /proc/PID/uid_map), for an
  /// idmapped mount: its fd (close-on-exec), or -1 + errno.
  public static func userNamespace(uidMap: String, gidMap: String) -> Int32 { hk_userns_with_maps(uidMap, gidMap) }

  /// Brings the loopback interface up: a new network namespace starts with "lo" down
  /// (runc and crun bring it up).
  public static func bringLoopbackUp<S: Syscalls>(using kernel: S) throws(SystemError) {
    _ = try check("bring up", "lo") { kernel.bringLoopbackUp() }
  }

  /// Opens a namespace file and checks it is a namespace of `kind` (NS_GET_NSTYPE).
  public static func verify(_ kind: LinuxNamespace, path: String) throws(SystemError) {
    let fd = try check("open", path) { hk_open_mode(path, O_RDONLY | O_CLOEXEC, 0) }
    defer { close(fd) }
    let nsGetNSType: UInt = 0xb703  // _IO(0xb7, 0x3)
    let type = hk_ioctl_int(fd, nsGetNSType, 0)
    if type < 0 { throw SystemError("namespace type of", path) }
    if UInt64(type) != kind.cloneFlag { throw SystemError("join \(kind.rawValue) namespace", path, errno: EINVAL) }
  }
}
