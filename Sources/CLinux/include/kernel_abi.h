// The kernel ABI values hull uses, named in one place. The system headers give them; a
// fallback (the kernel's own value) serves headers too old to have one. The shim (clinux.c,
// self_exe.c) uses these names, and LinuxKit/Constants.swift re-exports the HK_ ones below
// for Swift, whose Glibc module does not import them (they sit behind _GNU_SOURCE or in
// headers it leaves out).
#pragma once
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
// statvfs f_flag bits (ST_NODEV and ST_NOEXEC are GNU-only in glibc's header).
#ifndef ST_NODEV
#define ST_NODEV 4
#endif
#ifndef ST_NOEXEC
#define ST_NOEXEC 8
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// The new mount API (linux/mount.h; glibc 2.36's sys/mount.h has them too).
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#define HK_FSCONFIG_CMD_CREATE 6 /* an enum in linux/mount.h, a macro nowhere */
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#define HK_IOPRIO_WHO_PROCESS 1 /* linux/ioprio.h, missing from older headers */
#define HK_IOPRIO_CLASS_SHIFT 13
#ifndef KEY_USR_SEARCH
#define KEY_USR_SEARCH 0x00080000
#endif

/// For Swift (LinuxKit/Constants.swift).
enum {
  HK_O_PATH = O_PATH,
  HK_CLONE_NEWNS = CLONE_NEWNS,
  HK_CLONE_NEWCGROUP = CLONE_NEWCGROUP,
  HK_CLONE_NEWUTS = CLONE_NEWUTS,
  HK_CLONE_NEWIPC = CLONE_NEWIPC,
  HK_CLONE_NEWUSER = CLONE_NEWUSER,
  HK_CLONE_NEWPID = CLONE_NEWPID,
  HK_CLONE_NEWNET = CLONE_NEWNET,
  HK_CLONE_NEWTIME = CLONE_NEWTIME,
  HK_CLOSE_RANGE_CLOEXEC = CLOSE_RANGE_CLOEXEC,
  HK_PR_SET_DUMPABLE = PR_SET_DUMPABLE,
  HK_PR_SET_CHILD_SUBREAPER = PR_SET_CHILD_SUBREAPER,
  HK_PR_SET_KEEPCAPS = PR_SET_KEEPCAPS,
  HK_PR_CAPBSET_READ = PR_CAPBSET_READ,
  HK_PR_CAPBSET_DROP = PR_CAPBSET_DROP,
  HK_PR_SET_NO_NEW_PRIVS = PR_SET_NO_NEW_PRIVS,
  HK_PR_CAP_AMBIENT = PR_CAP_AMBIENT,
  HK_PR_CAP_AMBIENT_RAISE = PR_CAP_AMBIENT_RAISE,
  HK_PR_CAP_AMBIENT_CLEAR_ALL = PR_CAP_AMBIENT_CLEAR_ALL,
  HK_ST_NOSUID = ST_NOSUID,
  HK_ST_NODEV = ST_NODEV,
  HK_ST_NOEXEC = ST_NOEXEC,
  HK_MOUNT_ATTR_RDONLY = MOUNT_ATTR_RDONLY,
  HK_MOUNT_ATTR_NOSUID = MOUNT_ATTR_NOSUID,
  HK_MOUNT_ATTR_NODEV = MOUNT_ATTR_NODEV,
  HK_MOUNT_ATTR_NOEXEC = MOUNT_ATTR_NOEXEC,
  HK_MOUNT_ATTR__ATIME = MOUNT_ATTR__ATIME,
  HK_MOUNT_ATTR_RELATIME = MOUNT_ATTR_RELATIME,
  HK_MOUNT_ATTR_NOATIME = MOUNT_ATTR_NOATIME,
  HK_MOUNT_ATTR_STRICTATIME = MOUNT_ATTR_STRICTATIME,
  HK_MOUNT_ATTR_NODIRATIME = MOUNT_ATTR_NODIRATIME,
  HK_MOUNT_ATTR_NOSYMFOLLOW = MOUNT_ATTR_NOSYMFOLLOW,
};
