import CLinux
import Glibc

/// Linux namespace kinds with their clone flags and /proc/PID/ns names.
public enum LinuxNamespace: String, Sendable, CaseIterable {
  case pid, network, mount, ipc, uts, user, cgroup, time

  /// CLONE_NEW* (sched.h's GNU-only constants are not imported into Swift).
  public var cloneFlag: UInt64 {
    switch self {
    case .pid: return 0x2000_0000
    case .network: return 0x4000_0000
    case .mount: return 0x0002_0000
    case .ipc: return 0x0800_0000
    case .uts: return 0x0400_0000
    case .user: return 0x1000_0000
    case .cgroup: return 0x0200_0000
    case .time: return 0x80  // CLONE_NEWTIME
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
