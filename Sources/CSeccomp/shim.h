// CSeccomp: libseccomp plus what Swift cannot call or see directly. Every added name
// starts with `cseccomp_`.
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
static inline uint32_t cseccomp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t cseccomp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t cseccomp_act_kill(void) { return SCMP_ACT_KILL; }
static inline uint32_t cseccomp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline uint32_t cseccomp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t cseccomp_act_errno(uint32_t x) { return SCMP_ACT_ERRNO(x); }
static inline uint32_t cseccomp_act_trace(uint32_t x) { return SCMP_ACT_TRACE(x); }
static inline uint32_t cseccomp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t cseccomp_act_allow(void) { return SCMP_ACT_ALLOW; }

// ---- filter flags (unsigned long macros; fixed-width here) ----
static inline uint32_t cseccomp_flag_tsync(void) { return SECCOMP_FILTER_FLAG_TSYNC; }
static inline uint32_t cseccomp_flag_log(void) { return SECCOMP_FILTER_FLAG_LOG; }
static inline uint32_t cseccomp_flag_spec_allow(void) { return SECCOMP_FILTER_FLAG_SPEC_ALLOW; }
static inline uint32_t cseccomp_flag_new_listener(void) { return SECCOMP_FILTER_FLAG_NEW_LISTENER; }
static inline uint32_t cseccomp_flag_tsync_esrch(void) { return SECCOMP_FILTER_FLAG_TSYNC_ESRCH; }
static inline uint32_t cseccomp_flag_wait_killable_recv(void) { return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; }

/// A raw system call with exact arguments, bypassing glibc's choice of syscall
/// (e.g. mkdir vs mkdirat): tests need the number the filter sees.
static inline long cseccomp_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  return syscall(nr, a, b, c, d, e, f);
}

