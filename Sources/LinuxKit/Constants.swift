import CLinux

// Linux constants that Glibc's Swift module does not import, under their kernel names. The
// values come from one header, CLinux/include/kernel_abi.h. Inlinable computed values, not
// stored globals: those would be initialised lazily (swift_once) at first use.

@inlinable public var O_PATH: Int32 { Int32(HK_O_PATH) }

// <linux/prctl.h>
@inlinable public var PR_SET_DUMPABLE: Int32 { Int32(HK_PR_SET_DUMPABLE) }
@inlinable public var PR_SET_CHILD_SUBREAPER: Int32 { Int32(HK_PR_SET_CHILD_SUBREAPER) }
@inlinable public var PR_SET_KEEPCAPS: Int32 { Int32(HK_PR_SET_KEEPCAPS) }
@inlinable public var PR_CAPBSET_READ: Int32 { Int32(HK_PR_CAPBSET_READ) }
@inlinable public var PR_CAPBSET_DROP: Int32 { Int32(HK_PR_CAPBSET_DROP) }
@inlinable public var PR_SET_NO_NEW_PRIVS: Int32 { Int32(HK_PR_SET_NO_NEW_PRIVS) }
@inlinable public var PR_CAP_AMBIENT: Int32 { Int32(HK_PR_CAP_AMBIENT) }
@inlinable public var PR_CAP_AMBIENT_RAISE: Int32 { Int32(HK_PR_CAP_AMBIENT_RAISE) }
@inlinable public var PR_CAP_AMBIENT_CLEAR_ALL: Int32 { Int32(HK_PR_CAP_AMBIENT_CLEAR_ALL) }

// <linux/close_range.h>
@inlinable public var CLOSE_RANGE_CLOEXEC: UInt32 { UInt32(HK_CLOSE_RANGE_CLOEXEC) }

// statvfs f_flag bits
@inlinable public var ST_NOSUID_FLAG: UInt { UInt(HK_ST_NOSUID) }
@inlinable public var ST_NODEV_FLAG: UInt { UInt(HK_ST_NODEV) }
@inlinable public var ST_NOEXEC_FLAG: UInt { UInt(HK_ST_NOEXEC) }

/// MOUNT_ATTR_* of mount_setattr(2), for the recursive mount options (rro, rnosuid, …).
public enum MountAttribute {
  @inlinable public static var readOnly: UInt { UInt(HK_MOUNT_ATTR_RDONLY) }
  @inlinable public static var noSUID: UInt { UInt(HK_MOUNT_ATTR_NOSUID) }
  @inlinable public static var noDev: UInt { UInt(HK_MOUNT_ATTR_NODEV) }
  @inlinable public static var noExec: UInt { UInt(HK_MOUNT_ATTR_NOEXEC) }
  @inlinable public static var noAtime: UInt { UInt(HK_MOUNT_ATTR_NOATIME) }
  @inlinable public static var strictAtime: UInt { UInt(HK_MOUNT_ATTR_STRICTATIME) }
  @inlinable public static var noDiratime: UInt { UInt(HK_MOUNT_ATTR_NODIRATIME) }
}
