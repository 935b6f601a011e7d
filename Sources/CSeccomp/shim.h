// CSeccomp: libseccomp plus what Swift cannot call or see directly. Every added name
// starts with `hk_seccomp_`.
//
// Belongs here: function-like macros of <seccomp.h> (not imported by Swift), the raw
// seccomp(2) call that the container child makes without libseccomp, and the
// variadic syscall() for tests. Policy (what to allow, which flags) lives in Swift.
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <seccomp.h>  // includes <linux/seccomp.h>

// Filter flags newer than some kernel headers: the values are kernel ABI.
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

// ---- actions: macros (some function-like) in <seccomp.h> ----
static inline uint32_t hk_seccomp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t hk_seccomp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t hk_seccomp_act_kill(void) { return SCMP_ACT_KILL; }
static inline uint32_t hk_seccomp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline uint32_t hk_seccomp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t hk_seccomp_act_errno(uint32_t x) { return SCMP_ACT_ERRNO(x); }
static inline uint32_t hk_seccomp_act_trace(uint32_t x) { return SCMP_ACT_TRACE(x); }
static inline uint32_t hk_seccomp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t hk_seccomp_act_allow(void) { return SCMP_ACT_ALLOW; }

// ---- filter flags (unsigned long macros; fixed-width here) ----
static inline uint32_t hk_seccomp_flag_tsync(void) { return SECCOMP_FILTER_FLAG_TSYNC; }
static inline uint32_t hk_seccomp_flag_log(void) { return SECCOMP_FILTER_FLAG_LOG; }
static inline uint32_t hk_seccomp_flag_spec_allow(void) { return SECCOMP_FILTER_FLAG_SPEC_ALLOW; }
static inline uint32_t hk_seccomp_flag_new_listener(void) { return SECCOMP_FILTER_FLAG_NEW_LISTENER; }
static inline uint32_t hk_seccomp_flag_tsync_esrch(void) { return SECCOMP_FILTER_FLAG_TSYNC_ESRCH; }
static inline uint32_t hk_seccomp_flag_wait_killable_recv(void) { return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; }

/// seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) for `count` raw BPF instructions
/// (struct sock_filter, 8 bytes each). No allocation: the child calls this just before
/// execve. Returns the listener fd with NEW_LISTENER, else 0; -1 with errno on failure.
static inline int hk_seccomp_set_mode_filter(uint32_t flags, const void *insns, uint16_t count) {
  struct sock_fprog prog = {.len = count, .filter = (struct sock_filter *)insns};
  return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)flags, &prog);
}

/// 1 when the kernel accepts `flags` for SECCOMP_SET_MODE_FILTER, 0 if not (errno set).
/// The kernel checks flags before reading the program, so a NULL program yields EFAULT
/// for valid flags and installs nothing (libseccomp probes the same way).
static inline int hk_seccomp_flags_supported(uint32_t flags) {
  long rc = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)flags, NULL);
  return rc < 0 && errno == EFAULT;
}

/// memfd_create(2) through syscall(): glibc declares it only under _GNU_SOURCE.
static inline int hk_seccomp_memfd(const char *name) {
  return (int)syscall(__NR_memfd_create, name, 1U /* MFD_CLOEXEC */);
}

/// A raw system call with exact arguments, bypassing glibc's choice of syscall
/// (e.g. mkdir vs mkdirat): tests need the number the filter sees.
static inline long hk_seccomp_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  return syscall(nr, a, b, c, d, e, f);
}

/// pidfd_getfd(2): a copy of another process's fd (the runtime takes the seccomp listener
/// from its container's process this way, so that process makes no sendmsg after the load).
static inline int hk_seccomp_pidfd_getfd(int pidfd, int fd) {
  return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}
