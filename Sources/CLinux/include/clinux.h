// CLinux: what Swift cannot call directly. Every name here starts with `hk_`, and only
// LinuxKit imports this module: the other modules reach it through LinuxKit's wrappers
// (Syscalls/LinuxSyscalls for the container init, FileDescriptor, PidFD, Clone, …).
//
// Belongs here: raw syscalls without a glibc wrapper (clone3, pivot_root, pidfd_*,
// openat2, close_range, mount_setattr, seccomp), variadic calls (prctl, ioctl, fcntl with
// an argument, open with a mode), macros (makedev) and SCM_RIGHTS message
// plumbing. Nothing else: the runtime's logic lives in Swift. Kernel constants: kernel_abi.h.
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include "kernel_abi.h"

/// clone3 without a new stack: returns twice like fork (0 in the child).
/// `pidfd_out` receives a pidfd when non-NULL (CLONE_PIDFD). Returns -1 with errno.
pid_t hk_clone3(uint64_t flags, int *pidfd_out, int cgroup_fd);

int hk_pivot_root(const char *new_root, const char *put_old);
int hk_pidfd_open(pid_t pid, unsigned int flags);
int hk_pidfd_send_signal(int pidfd, int sig);
int hk_setns(int fd, int nstype);
int hk_unshare(int flags);
int hk_close_range(unsigned int first, unsigned int last, unsigned int flags);

/// openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `path` is resolved as if
/// `root_fd` were "/", so no symlink can lead out of it.
int hk_openat_in_root(int root_fd, const char *path, int flags, unsigned int mode);
/// openat2(AT_FDCWD) with RESOLVE_NO_MAGICLINKS: fails with ELOOP when /proc/<pid>/fd/N,
/// /proc/<pid>/exe or the like is on the way.
int hk_open_no_magiclinks(const char *path, int flags);

int hk_open_mode(const char *path, int flags, unsigned int mode);
/* renameat2(RENAME_NOREPLACE): fails with EEXIST instead of replacing `to`. */
int hk_rename_noreplace(const char *from, const char *to);
int hk_openat_mode(int dirfd, const char *path, int flags, unsigned int mode);
int hk_fcntl_int(int fd, int cmd, int arg);
int hk_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int hk_ioctl_int(int fd, unsigned long req, int arg);
int hk_ioctl_ptr(int fd, unsigned long req, void *arg);
int hk_sethostname(const char *name, size_t len);
int hk_setdomainname(const char *name, size_t len);
int hk_setgroups(size_t n, const gid_t *groups);
uint64_t hk_makedev(unsigned int major, unsigned int minor);

/// Sends one message holding `payload` and exactly one SCM_RIGHTS fd.
int hk_send_fd(int sock, int fd, const void *payload, size_t len);
/// Receives one fd sent by hk_send_fd; copies the payload into buf. Returns the fd or -1.
int hk_recv_fd(int sock, void *buf, size_t cap, size_t *len_out);

/// Pseudo-terminal helpers: open the master in a devpts instance, unlock it, and name the slave.
int hk_open_pty_master(const char *ptmx_path);
int hk_pty_slave_name(int master, char *buf, size_t cap);
int hk_set_controlling_tty(int fd);

/// Signal-set helpers for sigprocmask/signalfd (the sigset macros are not importable).
int hk_block_signals_for_forwarding(void);
int hk_unblock_all_signals(void);
int hk_signalfd_forwarding(void);
int hk_signalfd_read(int sfd);

/// GNU-only calls that Glibc's Swift module does not import.
int hk_setresuid(uid_t uid);
int hk_setresgid(gid_t gid);
int hk_accept4_cloexec(int fd);

/// cgroup helpers (used by Cgroups): eventfd for v1 OOM notification (not imported by
/// Swift's Glibc) and the raw bpf() syscall for the v2 device program.
int hk_eventfd_cloexec(unsigned int initval, int nonblock);
long hk_bpf(int cmd, void *attr, unsigned int size);

/// mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE) setting `attr_set` (MOUNT_ATTR_*):
/// the recursive mount options (rro, rnosuid, …) of runtime-spec 1.1.
int hk_mount_setattr_recursive(int fd, uint64_t attr_set);

/// sched_setattr(2) for the calling thread (no glibc wrapper).
int hk_sched_setattr(uint32_t policy, int32_t nice, uint32_t priority, uint64_t flags,
                     uint64_t runtime, uint64_t deadline, uint64_t period);
/// ioprio_set(IOPRIO_WHO_PROCESS, 0, class << 13 | level).
int hk_ioprio_set_self(int ioclass, int level);
int hk_personality(unsigned long persona);
/// sched_setaffinity(0, …) from a list of CPU numbers.
int hk_set_affinity(const int *cpus, int count);

/// A user namespace holding `uid_map`/`gid_map` (text as in /proc/PID/uid_map), for
/// idmapped mounts: a short-lived child unshares it, the caller writes the maps and opens
/// /proc/CHILD/ns/user. Returns the namespace fd (O_CLOEXEC) or -1 with errno.
int hk_userns_with_maps(const char *uid_map, const char *gid_map);
/// A detached one-file mount holding a new device node (mode includes S_IFCHR/S_IFBLK),
/// made on an unattached tmpfs, owned by uid:gid (host ids); -1 + errno on failure.
int hk_device_tree(unsigned int mode, unsigned int major_, unsigned int minor_, unsigned int uid, unsigned int gid);
/// 1 when fd is on a procfs, 0 when not, -1 + errno.
int hk_is_procfs(int fd);
/* 1, 2, 3, … for this process, from any thread (an atomic counter). */
unsigned long long hk_next_sequence(void);
/// Drops this executable's clean pages from this process: its code (start to etext) and, where
/// /proc/self/pagemap says so, its unwritten data pages; they stay in the page cache and
/// fault back in when touched. 0, or -1 + errno (the code's madvise).
int hk_release_image_pages(void);
/// set_mempolicy(mode | flags, nodemask, maxnode).
int hk_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);
/// Brings "lo" up in the caller's network namespace (SIOCSIFFLAGS IFF_UP).
int hk_loopback_up(void);
/// open_tree(path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [| AT_RECURSIVE]).
int hk_open_tree_clone(const char *path, int recursive);
/* CVE-2019-5736 guard: re-exec from a read-only view of the binary when needed (see self_exe.c). */
int hk_protect_self_exe(char *const argv[]);
/* The same, run at most once per process image (the constructor in self_exe.c usually did it). */
int hk_protect_self_exe_once(char *const argv[]);
/* Removes the SWIFT_BACKTRACE setting self_exe.c's constructor made (none when the user set one). */
void hk_forget_backtrace_setting(void);
/* A helper process killed with hull (PR_SET_PDEATHSIG); -1 + errno if it could not exec.
   stdout_fd < 0: the child keeps hull's stdout. */
pid_t hk_spawn_tied(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd);
/// mount_setattr(fd, "", AT_EMPTY_PATH [| AT_RECURSIVE]) with MOUNT_ATTR_IDMAP and `userns_fd`.
int hk_mount_setattr_idmap(int fd, int userns_fd, int recursive);
/// move_mount(fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH).
int hk_move_mount_to(int fd, int target_fd);

/// capset(2) for the calling thread, version 3 (64-bit sets): what libcap's cap_set_proc does.
int hk_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) for `count` raw BPF instructions (struct
/// sock_filter, 8 bytes each). No allocation. The listener fd with NEW_LISTENER, else 0; -1 + errno.
int hk_load_seccomp_filter(uint32_t flags, const void *insns, uint16_t count);

/// 1 when the kernel accepts `flags` for SECCOMP_SET_MODE_FILTER, 0 if not (errno set).
/// The kernel checks flags before reading the program, so a NULL program yields EFAULT
/// for valid flags and installs nothing (libseccomp probes the same way).
int hk_seccomp_flags_supported(uint32_t flags);
/// memfd_create(name, MFD_CLOEXEC).
int hk_memfd_cloexec(const char *name);
/// pidfd_getfd(2): a copy of another process's fd.
int hk_pidfd_getfd(int pidfd, int fd);

/// What self_exe.c's constructor knows of hull's command line, for HullMain to use too
/// (LinuxKit.SelfExe): 1 when `command` re-executes hull from a read-only view first
/// (CVE-2019-5736), 0 otherwise.
int hk_self_exe_command(const char *command);
/// 1 when the global flag `arg` ("--root", "-log", "root") takes a value, 0 otherwise.
int hk_global_flag_takes_value(const char *arg);

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a new anonymous session keyring for the
/// caller. Returns its serial or -1 with errno.
int32_t hk_join_named_session_keyring(const char *name);
