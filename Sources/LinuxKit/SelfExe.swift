import CLinux
import Glibc

/// CVE-2019-5736: hull never leaves a writable view of its own binary reachable from a
/// container (see self_exe.c, whose constructor usually did the work before main). What that
/// constructor knows of hull's command line lives there only; HullMain asks through here.
public enum SelfExe {
  /// Whether `command` puts a hull process inside a container, and so first re-executes hull
  /// from a read-only view of its binary.
  public static func protects(_ command: String) -> Bool { hk_self_exe_command(command) != 0 }

  /// Whether the global flag `name` ("root", "log", …) takes a value.
  public static func globalFlagTakesValue(_ name: String) -> Bool { hk_global_flag_takes_value(name) != 0 }

  /// Re-executes hull from a read-only view when needed, at most once per process image (the
  /// constructor usually did it: then this only reads its result). On success it returns only
  /// when there was nothing to do; a SystemError when the check or the re-exec failed.
  public static func protectOnce() throws(SystemError) {
    if hk_protect_self_exe_once(CommandLine.unsafeArgv) != 0 {
      throw SystemError("protect the hull binary", "/proc/self/exe")
    }
  }
}

extension SelfExe {
  /// Drops the SWIFT_BACKTRACE setting hull's constructor gave the Swift runtime (self_exe.c),
  /// so that hooks, criu and the container's processes never inherit it. Call once at start.
  public static func forgetBacktraceSetting() { hk_forget_backtrace_setting() }
}

/// This process's own executable image.
public enum ExecutableImage {
  /// Drops the image's clean pages from this process (code, and data pages never written;
  /// they stay in the page cache and fault back in when touched): what a created
  /// container's init need not hold while it waits for `start`.
  public static func releaseCleanPages() -> Int32 { hk_release_image_pages() }
}
