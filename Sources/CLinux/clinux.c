#include "clinux.h"
#include "kernel_abi.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sched.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/personality.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <stdio.h>

pid_t hk_clone3(uint64_t flags, int *pidfd_out, int cgroup_fd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  if (pidfd_out) {
    args.flags |= CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd_out;
  }
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
  }
  return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

int hk_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}
int hk_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int hk_pidfd_send_signal(int pidfd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}
int hk_setns(int fd, int nstype) { return setns(fd, nstype); }
int hk_unshare(int flags) { return unshare(flags); }
int hk_close_range(unsigned int first, unsigned int last, unsigned int flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

int hk_openat_in_root(int root_fd, const char *path, int flags, unsigned int mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)flags;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do { fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how); } while (fd < 0 && errno == EAGAIN);
  return fd;
}

int hk_open_no_magiclinks(const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)flags;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  int fd;
  do { fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how); } while (fd < 0 && errno == EAGAIN);
  return fd;
}

int hk_open_mode(const char *path, int flags, unsigned int mode) { return open(path, flags, mode); }
int hk_rename_noreplace(const char *from, const char *to) {
  return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
int hk_openat_mode(int dirfd, const char *path, int flags, unsigned int mode) {
  return openat(dirfd, path, flags, mode);
}
int hk_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }
int hk_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
  return prctl(option, a2, a3, a4, a5);
}
int hk_ioctl_int(int fd, unsigned long req, int arg) { return ioctl(fd, req, arg); }
int hk_ioctl_ptr(int fd, unsigned long req, void *arg) { return ioctl(fd, req, arg); }
int hk_sethostname(const char *name, size_t len) { return sethostname(name, len); }
int hk_setdomainname(const char *name, size_t len) { return setdomainname(name, len); }
int hk_setgroups(size_t n, const gid_t *groups) { return setgroups(n, groups); }
uint64_t hk_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }

int hk_send_fd(int sock, int fd, const void *payload, size_t len) {
  struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
  union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

int hk_recv_fd(int sock, void *buf, size_t cap, size_t *len_out) {
  struct iovec iov = {.iov_base = buf, .iov_len = cap};
  union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t n;
  do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if (len_out) *len_out = (size_t)n;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) { errno = EBADMSG; return -1; }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int hk_open_pty_master(const char *ptmx_path) {
  int m = open(ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return -1;
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0) { int e = errno; close(m); errno = e; return -1; }
  return m;
}
int hk_pty_slave_name(int master, char *buf, size_t cap) {
  unsigned int n;
  if (ioctl(master, TIOCGPTN, &n) < 0) return -1;
  int w = snprintf(buf, cap, "/dev/pts/%u", n);
  return (w < 0 || (size_t)w >= cap) ? -1 : 0;
}
int hk_set_controlling_tty(int fd) {
  if (setsid() < 0 && errno != EPERM) return -1;
  return ioctl(fd, TIOCSCTTY, 0);
}

static void forwarding_set(sigset_t *set) {
  sigfillset(set);
  sigdelset(set, SIGSEGV); sigdelset(set, SIGBUS); sigdelset(set, SIGILL);
  sigdelset(set, SIGFPE); sigdelset(set, SIGKILL); sigdelset(set, SIGSTOP);
}
int hk_block_signals_for_forwarding(void) {
  sigset_t set; forwarding_set(&set);
  return sigprocmask(SIG_BLOCK, &set, NULL);
}
int hk_unblock_all_signals(void) {
  sigset_t set; sigemptyset(&set);
  return sigprocmask(SIG_SETMASK, &set, NULL);
}
int hk_signalfd_forwarding(void) {
  sigset_t set; forwarding_set(&set);
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
int hk_signalfd_read(int sfd) {
  struct signalfd_siginfo si;
  ssize_t n = read(sfd, &si, sizeof si);
  return n == (ssize_t)sizeof si ? (int)si.ssi_signo : -1;
}

int hk_setresuid(uid_t uid) { return setresuid(uid, uid, uid); }
int hk_setresgid(gid_t gid) { return setresgid(gid, gid, gid); }
int hk_accept4_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

#include <sys/eventfd.h>
int hk_eventfd_cloexec(unsigned int initval, int nonblock) {
  return eventfd(initval, EFD_CLOEXEC | (nonblock ? EFD_NONBLOCK : 0));
}
long hk_bpf(int cmd, void *attr, unsigned int size) { return syscall(SYS_bpf, cmd, attr, size); }

int hk_sched_setattr(uint32_t policy, int32_t nice, uint32_t priority, uint64_t flags,
                     uint64_t runtime, uint64_t deadline, uint64_t period) {
  struct {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr = {48, policy, flags, nice, priority, runtime, deadline, period};
  return (int)syscall(SYS_sched_setattr, 0, &attr, 0);
}
int hk_ioprio_set_self(int ioclass, int level) {
  return (int)syscall(SYS_ioprio_set, HK_IOPRIO_WHO_PROCESS, 0, (ioclass << HK_IOPRIO_CLASS_SHIFT) | level);
}
int hk_personality(unsigned long persona) { return personality(persona); }
int hk_set_affinity(const int *cpus, int count) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int i = 0; i < count; i++) if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) CPU_SET(cpus[i], &set);
  return sched_setaffinity(0, sizeof set, &set);
}

#include <linux/capability.h>
int hk_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
    {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
    {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
  };
  return (int)syscall(SYS_capset, &header, data);
}

#include <linux/filter.h>
#include <linux/seccomp.h>
int hk_load_seccomp_filter(uint32_t flags, const void *insns, uint16_t count) {
  struct sock_fprog prog = {.len = count, .filter = (struct sock_filter *)insns};
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)flags, &prog);
}

int hk_seccomp_flags_supported(uint32_t flags) {
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)flags, NULL);
  return rc < 0 && errno == EFAULT;
}
int hk_memfd_cloexec(const char *name) { return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */); }
int hk_pidfd_getfd(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }

/* Joins (or creates) the session keyring `name` and adds user-search to its permissions,
   read back from KEYCTL_DESCRIBE ("type;uid;gid;perm;description"). */
int32_t hk_join_named_session_keyring(const char *name) {
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);
  if (id < 0) return -1;
  char desc[512];
  long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1);
  if (n < 0) return -1;
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
  char *perm = desc;
  for (int field = 0; field < 3 && perm; field++) {
    perm = strchr(perm, ';');
    if (perm) perm++;
  }
  if (!perm) { errno = EINVAL; return -1; }
  unsigned long bits = strtoul(perm, NULL, 16) | KEY_USR_SEARCH;
  if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, bits) < 0) return -1;
  return (int32_t)id;
}

/* Starts a helper (a hook, criu) that dies with hull: PR_SET_PDEATHSIG(SIGKILL) is set in the
   child, so a hook without a timeout cannot outlive a hull that was killed. vfork keeps it
   as cheap as posix_spawn; an execve failure comes back through a close-on-exec pipe. */
pid_t hk_spawn_tied(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return -1;
  pid_t parent = getpid();
  pid_t pid = vfork();
  if (pid == 0) {
    int e = 0;
    sigset_t empty;
    sigemptyset(&empty);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) e = ESRCH;
    if (!e && stdin_fd != 0 && dup2(stdin_fd, 0) < 0) e = errno;
    if (!e && stdout_fd >= 0 && stdout_fd != 1 && dup2(stdout_fd, 1) < 0) e = errno;
    if (!e) {
      sigprocmask(SIG_SETMASK, &empty, NULL);
      execve(path, argv, envp);
      e = errno;
    }
    (void)!write(report[1], &e, sizeof e);
    _exit(127);
  }
  int spawn_errno = pid < 0 ? errno : 0;
  close(report[1]);
  if (pid > 0) {
    int e = 0;
    ssize_t n;
    while ((n = read(report[0], &e, sizeof e)) < 0 && errno == EINTR) {}
    if (n == (ssize_t)sizeof e) {
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
      pid = -1;
      spawn_errno = e;
    }
  }
  close(report[0]);
  errno = spawn_errno;
  return pid;
}

/* Sets IFF_UP on "lo" of the calling thread's network namespace (runc and crun do it for a
   new network namespace). */
#include <net/if.h>
int hk_loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq req;
  memset(&req, 0, sizeof req);
  strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(fd, SIOCGIFFLAGS, &req);
  if (rc == 0 && !(req.ifr_flags & IFF_UP)) {
    req.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &req);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

/* set_mempolicy(2) for linux.memoryPolicy: `mode` with its MPOL_F_* flags, a node bitmask. */
int hk_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode) {
  return (int)syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

/* Swift has no atomics without the Synchronization module; one counter does not need it. */
static unsigned long long hk_sequence;
unsigned long long hk_next_sequence(void) { return __atomic_add_fetch(&hk_sequence, 1, __ATOMIC_RELAXED); }

/* 1 when fd is on a procfs (whose symlinks are magic links), 0 otherwise, -1 + errno. */
#include <sys/vfs.h>
int hk_is_procfs(int fd) {
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return -1;
  return fs.f_type == PROC_SUPER_MAGIC;
}

/* A waiting container init (created, not started) need not keep hull's image mapped: clean
   file pages stay in the page cache, and the few that run again fault back in.
   - Code: from the executable's start to etext (headers and .text) nothing writes, so
     MADV_DONTNEED, which on a private file mapping only drops this process's mapping of
     clean pages, is safe over the whole range.
   - Data (etext to _edata: .rodata, RELRO, .data): pages written since exec (IRELATIVE
     relocations, Swift's metadata caches) are private anonymous copies that MADV_DONTNEED
     would lose. /proc/self/pagemap tells them apart (bit 61: file page); only runs of file
     pages are dropped. The procfs is checked by its magic and "self" looked up below its root,
     so a container's files cannot stand in for it; without one, the data pages stay. */
#include <sys/mman.h>
extern char __executable_start[], etext[], _edata[];

static void release_clean_file_pages(uintptr_t start, uintptr_t end, uintptr_t page) {
  int proc = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (proc < 0) return;
  struct statfs fs;
  int fd = fstatfs(proc, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC ? openat(proc, "self/pagemap", O_RDONLY | O_CLOEXEC) : -1;
  close(proc);
  if (fd < 0) return;
  if (fstatfs(fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) { close(fd); return; }
  uint64_t entries[512];
  uintptr_t run = 0, addr = start;
  while (addr < end) {
    size_t count = (end - addr) / page < 512 ? (end - addr) / page : 512;
    if (pread(fd, entries, count * sizeof entries[0], (off_t)(addr / page * sizeof entries[0])) != (ssize_t)(count * sizeof entries[0])) break;
    for (size_t i = 0; i < count; i++, addr += page) {
      int clean_file = (entries[i] >> 63 & 1) && (entries[i] >> 61 & 1); /* present, file page */
      if (clean_file && !run) run = addr;
      if (!clean_file && run) { madvise((void *)run, addr - run, MADV_DONTNEED); run = 0; }
    }
  }
  if (run) madvise((void *)run, addr - run, MADV_DONTNEED);
  close(fd);
}

int hk_release_image_pages(void) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = (uintptr_t)__executable_start & ~(page - 1);
  uintptr_t code_end = ((uintptr_t)etext + page - 1) & ~(page - 1);
  if (madvise((void *)start, code_end - start, MADV_DONTNEED) != 0) return -1;
  release_clean_file_pages(code_end, (uintptr_t)_edata & ~(page - 1), page);
  return 0;
}
