/// Linux constants that Glibc's Swift module does not import (they sit behind _GNU_SOURCE).
public let O_PATH: Int32 = 0o10000000

// <linux/prctl.h>
public let PR_SET_DUMPABLE: Int32 = 4
public let PR_SET_KEEPCAPS: Int32 = 8
public let PR_CAPBSET_READ: Int32 = 23
public let PR_CAPBSET_DROP: Int32 = 24
public let PR_SET_NO_NEW_PRIVS: Int32 = 38
public let PR_CAP_AMBIENT: Int32 = 47
public let PR_CAP_AMBIENT_RAISE: Int32 = 2
public let PR_CAP_AMBIENT_CLEAR_ALL: Int32 = 4

// statvfs f_flag bits
public let ST_NOSUID_FLAG: UInt = 2
public let ST_NODEV_FLAG: UInt = 4
public let ST_NOEXEC_FLAG: UInt = 8
