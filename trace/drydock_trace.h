/* drydock_trace.h: the layout shared by the BPF program (trace/drydock_trace.bpf.c) and Swift (Sources/CBPF/shim.h).
 * Only __u32/__u64/__s64 types, so both vmlinux.h and <linux/types.h> users see the same layout. */
#ifndef DRYDOCK_TRACE_H
#define DRYDOCK_TRACE_H

#define DD_MAX_NR 512            /* syscall numbers below this are counted (x86_64 tops out near 470) */
#define DD_BUCKETS 4
#define DD_STR_LEN 96
#define DD_COMM_LEN 16

/* Buckets, exclusive, decided when a syscall enters. */
enum dd_bucket { DD_B_HOST = 0, DD_B_SETUP = 1, DD_B_SECCOMP = 2, DD_B_WORKLOAD = 3 };

/* Task flags. ARMED: registered before its exec, counted from its first execve on. */
/* FRESH: its next sys_exit has no sys_enter of ours (a fork child returning, a task registered mid-syscall). */
enum dd_flag { DD_F_ARMED = 1, DD_F_ACTIVE = 2, DD_F_WORKLOAD = 4, DD_F_EMIT = 8, DD_F_FRESH = 16 };

/* How tasks are selected: a process tree from registered roots, or everything in one namespace/cgroup. */
enum dd_mode { DD_MODE_TREE = 0, DD_MODE_MNTNS = 1, DD_MODE_PIDNS = 2, DD_MODE_CGROUP = 3 };

/* DENIED: a sys_exit without a sys_enter: seccomp refused the call before the enter tracepoint (RET_ERRNO). */
enum dd_event_kind { DD_EV_SYSCALL = 1, DD_EV_FORK = 2, DD_EV_EXEC = 3, DD_EV_EXIT = 4, DD_EV_CGROUP = 5, DD_EV_DENIED = 6 };

/* Global counters (array map "counters"). */
enum dd_counter { DD_C_LOST = 0, DD_C_LIVE = 1, DD_C_DROPPED_TASKS = 2, DD_C_COUNT = 4 };

struct dd_config {
  __u32 mode;
  __u32 host_mntns;      /* the tracer's own namespaces: a task elsewhere is on the container side */
  __u32 host_pidns;
  __u32 base_filters;    /* the tracer's seccomp filter count: more means the runtime installed one */
  __u64 target_id;       /* namespace inode or v2 cgroup id in the namespace modes */
  __u32 execve_nr;
  __u32 execveat_nr;
};

/* Which syscalls become timeline events, and which argument is a user string worth copying. */
struct dd_key {
  __u8 key;
  __s8 str_arg;          /* -1: none */
  __u8 clone3;           /* arg0 points at struct clone_args: copy its flags */
  __u8 pad;
};

struct dd_task {
  __u32 flags;
  __u32 root;            /* which registered invocation this task descends from */
  __u32 tgid;
  __u32 bucket;          /* bucket of the syscall in flight */
  __u32 side;            /* cached: 0 unknown, 1 host namespaces, 2 container's; reset by namespace changes */
  __u32 pad;
  __s64 nr;              /* syscall in flight, -1 when none */
  __u64 enter_ns;
  __u64 args[4];
  __u64 calls[DD_BUCKETS];
  __u64 errors;
  char str[DD_STR_LEN];
};

struct dd_stat {
  __u64 count;
  __u64 errors;
  __u64 nanoseconds;
};

struct dd_proc {
  __u64 calls[DD_BUCKETS];
  __u64 errors;
};

struct dd_event {
  __u64 ts;              /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
  __u64 duration;
  __u32 kind;
  __u32 pid;
  __u32 tgid;
  __u32 other;           /* fork: the parent's tgid; exec: the old pid; cgroup: the attached pid */
  __s64 nr;
  __s64 ret;
  __u64 args[4];         /* fork: child mntns, pidns; exec: mntns, pidns; cgroup: hierarchy id */
  __u32 root;
  __u32 bucket;
  char comm[DD_COMM_LEN];
  char str[DD_STR_LEN];
};

#endif
