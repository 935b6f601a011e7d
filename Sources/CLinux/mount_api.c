/* The new mount API (open_tree, move_mount, mount_setattr, fsopen) and the user namespaces
   an idmapped mount needs: what the launcher prepares on the host side and the init moves in
   place. Split from clinux.c to keep files small; the same rules (hk_ names, LinuxKit only). */
#include "clinux.h"
#include "kernel_abi.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

int hk_mount_setattr_recursive(int fd, uint64_t attr_set) {
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {attr_set, 0, 0, 0};
  /* MOUNT_ATTR_STRICTATIME and NOATIME are values of the atime field: clear it first. */
  if (attr_set & MOUNT_ATTR__ATIME) attr.attr_clr = MOUNT_ATTR__ATIME;
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
}

static int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t)len ? 0 : -1;
}

int hk_userns_with_maps(const char *uid_map, const char *gid_map) {
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) return -1;
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) { int e = errno; close(gate[0]); close(gate[1]); errno = e; return -1; }
  if (pid == 0) {
    char c;
    close(gate[1]);
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  close(gate[0]);
  char path[64];
  int fd = -1, e = 0;
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  if (write_text(path, uid_map) < 0) { e = errno; goto done; }
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  if (write_text(path, gid_map) < 0) { e = errno; goto done; }
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) e = errno;
done:
  close(gate[1]);  /* releases the child */
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
  errno = e;
  return fd;
}

int hk_open_tree_clone(const char *path, int recursive) {
  return (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
}

int hk_mount_setattr_idmap(int fd, int userns_fd, int recursive) {
  struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {MOUNT_ATTR_IDMAP, 0, 0, (uint64_t)userns_fd};
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
}

int hk_move_mount_to(int fd, int target_fd) {
  return (int)syscall(SYS_move_mount, fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* A device node the host may not have, for a container with a user namespace (where
   mknod is refused): made on a fresh tmpfs that is never attached anywhere (fsopen +
   fsmount; its superblock belongs to the host, so the node works), returned as a detached
   one-file tree (open_tree OPEN_TREE_CLONE) to be moved onto the container's path. */
int hk_device_tree(unsigned int mode, unsigned int major_, unsigned int minor_, unsigned int uid, unsigned int gid) {
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  if (syscall(SYS_fsconfig, fs, HK_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
    int saved = errno; close(fs); errno = saved; return -1;
  }
  int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
  int saved = errno;
  close(fs);
  if (mnt < 0) { errno = saved; return -1; }
  int tree = -1;
  if (mknodat(mnt, "node", mode, makedev(major_, minor_)) == 0 && fchmodat(mnt, "node", mode & 07777, 0) == 0 &&
      fchownat(mnt, "node", uid, gid, AT_SYMLINK_NOFOLLOW) == 0)
    tree = (int)syscall(SYS_open_tree, mnt, "node", OPEN_TREE_CLONE | O_CLOEXEC);
  if (tree < 0 && errno == EINVAL) {
    /* Kernels before cloning from detached mounts was allowed (6.1 among them) refuse a mount outside
       our namespace: attach the tmpfs for the moment at a private temp dir, clone the node, detach it. */
    char dir[] = "/tmp/hull-device-XXXXXX";
    if (mkdtemp(dir) != NULL) {
      if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) == 0) {
        char node[sizeof dir + 8];
        snprintf(node, sizeof node, "%s/node", dir);
        tree = (int)syscall(SYS_open_tree, AT_FDCWD, node, OPEN_TREE_CLONE | O_CLOEXEC);
        saved = errno;
        /* A failure leaves the private temp dir mounted: nothing else uses it, and rmdir below
           then fails (EBUSY) too; the tree (or its error) is what the caller needs. */
        (void)umount2(dir, MNT_DETACH);
        errno = saved;
      }
      saved = errno;
      (void)rmdir(dir);  /* best effort: an empty private dir left in /tmp is harmless */
      errno = saved;
    }
  }
  saved = errno;
  close(mnt);
  errno = saved;
  return tree;
}
