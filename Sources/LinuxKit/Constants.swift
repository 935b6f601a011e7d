import CLinux

// Linux constants that Glibc's Swift module does not import, under their kernel names. The
// values come from one header, CLinux/include/kernel_abi.h.

public let O_PATH = Int32(HK_O_PATH)

// <linux/prctl.h>
public let PR_SET_DUMPABLE = Int32(HK_PR_SET_DUMPABLE)
public let PR_SET_KEEPCAPS = Int32(HK_PR_SET_KEEPCAPS)
public let PR_CAPBSET_READ = Int32(HK_PR_CAPBSET_READ)
public let PR_CAPBSET_DROP = Int32(HK_PR_CAPBSET_DROP)
public let PR_SET_NO_NEW_PRIVS = Int32(HK_PR_SET_NO_NEW_PRIVS)
public let PR_CAP_AMBIENT = Int32(HK_PR_CAP_AMBIENT)
public let PR_CAP_AMBIENT_RAISE = Int32(HK_PR_CAP_AMBIENT_RAISE)
public let PR_CAP_AMBIENT_CLEAR_ALL = Int32(HK_PR_CAP_AMBIENT_CLEAR_ALL)

// <linux/close_range.h>
public let CLOSE_RANGE_CLOEXEC = UInt32(HK_CLOSE_RANGE_CLOEXEC)

// statvfs f_flag bits
public let ST_NOSUID_FLAG = UInt(HK_ST_NOSUID)
public let ST_NODEV_FLAG = UInt(HK_ST_NODEV)
public let ST_NOEXEC_FLAG = UInt(HK_ST_NOEXEC)

/// MOUNT_ATTR_* of mount_setattr(2), for the recursive mount options (rro, rnosuid, …).
public enum MountAttribute {
  public static let readOnly = UInt(HK_MOUNT_ATTR_RDONLY)
  public static let noSUID = UInt(HK_MOUNT_ATTR_NOSUID)
  public static let noDev = UInt(HK_MOUNT_ATTR_NODEV)
  public static let noExec = UInt(HK_MOUNT_ATTR_NOEXEC)
  public static let noAtime = UInt(HK_MOUNT_ATTR_NOATIME)
  public static let strictAtime = UInt(HK_MOUNT_ATTR_STRICTATIME)
  public static let noDiratime = UInt(HK_MOUNT_ATTR_NODIRATIME)
}
