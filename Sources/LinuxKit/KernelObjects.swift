import CLinux
import Glibc

/// eventfd(2), for cgroup v1 OOM notifications.
public enum EventFD {
  /// A close-on-exec eventfd starting at 0; -1 + errno.
  public static func make(nonBlocking: Bool) -> Int32 { hk_eventfd_cloexec(0, nonBlocking ? 1 : 0) }
}

/// bpf(2), for the cgroup v2 device program.
public enum BPF {
  /// bpf(cmd, attr, size) with `attr` the command's union bpf_attr bytes; -1 + errno.
  public static func call(_ command: Int32, _ attr: inout [UInt8]) -> Int {
    attr.withUnsafeMutableBytes { hk_bpf(command, $0.baseAddress, UInt32($0.count)) }
  }
}

/// The raw seccomp(2) and memfd calls the Seccomp module makes when compiling in the parent.
public enum SeccompKernel {
  /// 1 when the kernel accepts `flags` for SECCOMP_SET_MODE_FILTER, 0 if not (errno says why).
  /// A NULL program: nothing is installed.
  public static func acceptsFilterFlags(_ flags: UInt32) -> Int32 { hk_seccomp_flags_supported(flags) }

  /// memfd_create(name, MFD_CLOEXEC); -1 + errno.
  public static func memfd(_ name: String) -> Int32 { hk_memfd_cloexec(name) }
}

/// A terminal's window size.
public enum Terminal {
  /// Copies the window size of `source` to `target` (the caller's terminal to a container's
  /// pty); false + errno when either is not a terminal.
  public static func copyWindowSize(from source: Int32, to target: Int32) -> Bool {
    var size = winsize()
    return hk_ioctl_ptr(source, UInt(TIOCGWINSZ), &size) == 0 && hk_ioctl_ptr(target, UInt(TIOCSWINSZ), &size) == 0
  }
}
