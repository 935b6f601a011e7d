// SPDX-License-Identifier: GPL-2.0
/* drydock trace: syscall counting of a runtime's process tree or of a container's namespace, CO-RE, no BCC.
 *
 * tp_btf programs on raw_syscalls sys_enter/sys_exit count into a per-CPU array indexed by [bucket][nr];
 * sched_process_fork/exec/exit follow the tree; cgroup_attach_task marks writes to cgroup.procs.
 * Only a few "key" syscalls (clone, unshare, mount, pivot_root, execve, ...) become ring-buffer events,
 * submitted without wakeups: user space drains the buffer on its own schedule, so the traced process never
 * pays for a wakeup. Compiled by Sources/Tracer/BPFObjectBuilder.swift (or trace/build-bpf.sh). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "drydock_trace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct dd_config);
} dd_config_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, DD_MAX_NR);
  __type(key, __u32);
  __type(value, struct dd_key);
} keys SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct dd_task);
} tasks SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct dd_proc);
} procs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, DD_MAX_NR * DD_BUCKETS);
  __type(key, __u32);
  __type(value, struct dd_stat);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, DD_C_COUNT);
  __type(key, __u32);
  __type(value, __s64);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4 << 20);
} events SEC(".maps");

#include "drydock_trace_helpers.h"

SEC("tp_btf/sys_enter")
int BPF_PROG(dd_sys_enter, struct pt_regs *regs, long id)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &tid);
  struct dd_config *cfg = get_config();
  if (!cfg)
    return 0;
  if (!t) {
    if (cfg->mode == DD_MODE_TREE || !matches_target(cfg))
      return 0;
    /* Namespace mode: a thread is adopted on its first syscall inside the target. */
    struct dd_task fresh = {};
    fresh.flags = DD_F_ACTIVE | DD_F_WORKLOAD;
    fresh.tgid = bpf_get_current_pid_tgid() >> 32;
    fresh.nr = -1;
    if (bpf_map_update_elem(&tasks, &tid, &fresh, BPF_NOEXIST) == 0)
      bump(DD_C_LIVE, 1);
    t = bpf_map_lookup_elem(&tasks, &tid);
    if (!t)
      return 0;
  }
  if (t->flags & DD_F_ARMED) {
    /* The gate's own syscalls are not the runtime's: start at the execve that becomes the runtime. */
    if (id != cfg->execve_nr && id != cfg->execveat_nr)
      return 0;
    t->flags = (t->flags & ~DD_F_ARMED) | DD_F_ACTIVE;
  }
  if (!(t->flags & DD_F_ACTIVE) || id < 0 || id >= DD_MAX_NR)
    return 0;
  __u32 bucket = bucket_of(t, cfg);
  t->nr = id;
  t->bucket = bucket;
  t->enter_ns = bpf_ktime_get_ns();
  t->calls[bucket & (DD_BUCKETS - 1)]++;
  __u32 slot = bucket * DD_MAX_NR + (__u32)id;
  struct dd_stat *s = bpf_map_lookup_elem(&stats, &slot);
  if (s)
    s->count++;
  __u32 nr = id;
  struct dd_key *k = bpf_map_lookup_elem(&keys, &nr);
  if (k && k->key) {
    read_args(regs, t->args);
    t->flags |= DD_F_EMIT;
    t->str[0] = 0;
    if (k->str_arg >= 0 && k->str_arg < 4)
      bpf_probe_read_user_str(t->str, sizeof(t->str), (void *)t->args[k->str_arg & 3]);
    if (k->clone3)
      bpf_probe_read_user(&t->args[1], sizeof(__u64), (void *)t->args[0]);
  }
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(dd_sys_exit, struct pt_regs *regs, long ret)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &tid);
  if (!t || !(t->flags & DD_F_ACTIVE))
    return 0;
  if (t->flags & DD_F_FRESH) {
    t->flags &= ~DD_F_FRESH;
    t->nr = -1;
    return 0;
  }
  if (t->nr < 0) {
    /* No enter: seccomp skipped the call (its filter runs before the sys_enter tracepoint). Count it as a
     * failed call of its own, so a profile missing it shows up. */
    struct dd_config *cfg = get_config();
    long nr = syscall_nr(regs);
    if (!cfg || nr < 0 || nr >= DD_MAX_NR)
      return 0;
    __u32 bucket = bucket_of(t, cfg);
    __u32 denied_slot = bucket * DD_MAX_NR + (__u32)nr;
    struct dd_stat *d = bpf_map_lookup_elem(&stats, &denied_slot);
    if (d) {
      d->count++;
      d->errors++;
    }
    t->calls[bucket & (DD_BUCKETS - 1)]++;
    t->errors++;
    struct dd_event *e = reserve_event();
    if (e) {
      e->kind = DD_EV_DENIED;
      e->pid = tid;
      e->tgid = t->tgid;
      e->nr = nr;
      e->ret = ret;
      e->root = t->root;
      e->bucket = bucket;
      bpf_get_current_comm(e->comm, sizeof(e->comm));
      bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    }
    return 0;
  }
  if (t->nr >= DD_MAX_NR)
    return 0;
  __u64 now = bpf_ktime_get_ns();
  __u64 duration = now - t->enter_ns;
  __u32 slot = (t->bucket & (DD_BUCKETS - 1)) * DD_MAX_NR + (__u32)t->nr;
  struct dd_stat *s = bpf_map_lookup_elem(&stats, &slot);
  if (s) {
    s->nanoseconds += duration;
    if (ret < 0)
      s->errors++;
  }
  if (ret < 0)
    t->errors++;
  if (t->flags & DD_F_EMIT) {
    struct dd_event *e = reserve_event();
    if (e) {
      e->kind = DD_EV_SYSCALL;
      e->ts = t->enter_ns;
      e->duration = duration;
      e->pid = tid;
      e->tgid = t->tgid;
      e->nr = t->nr;
      e->ret = ret;
      e->root = t->root;
      e->bucket = t->bucket;
      __builtin_memcpy(e->args, t->args, sizeof(e->args));
      __builtin_memcpy(e->str, t->str, sizeof(e->str));
      bpf_get_current_comm(e->comm, sizeof(e->comm));
      bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    }
    t->flags &= ~DD_F_EMIT;
    t->side = 0;   /* key calls include unshare, setns and clone: recompute the side on the next call */
  }
  t->nr = -1;
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(dd_fork, struct task_struct *parent, struct task_struct *child)
{
  __u32 ptid = parent->pid;
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &ptid);
  if (!t || !(t->flags & DD_F_ACTIVE))
    return 0;
  struct dd_task c = {};
  c.flags = (t->flags & (DD_F_ACTIVE | DD_F_WORKLOAD)) | DD_F_FRESH;
  c.root = t->root;
  c.tgid = child->tgid;
  c.nr = -1;
  __u32 ctid = child->pid;
  if (bpf_map_update_elem(&tasks, &ctid, &c, BPF_NOEXIST) != 0) {
    bump(DD_C_DROPPED_TASKS, 1);
    return 0;
  }
  bump(DD_C_LIVE, 1);
  struct dd_event *e = reserve_event();
  if (!e)
    return 0;
  e->kind = DD_EV_FORK;
  e->pid = ctid;
  e->tgid = child->tgid;
  e->other = parent->tgid;   /* the parent process, not the thread that forked (Go forks from any thread) */
  e->root = c.root;
  e->args[0] = mntns_of(child);
  e->args[1] = pidns_of(child);
  e->args[2] = child->tgid == parent->tgid; /* a thread, not a process */
  bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), child->comm);
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(dd_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
  __u32 tid = task->pid;
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &tid);
  if (!t) {
    /* A non-leader thread exec'd and took over the leader's pid: move its entry. */
    __u32 old = old_pid;
    struct dd_task *o = bpf_map_lookup_elem(&tasks, &old);
    if (!o)
      return 0;
    struct dd_task copy = *o;
    bpf_map_delete_elem(&tasks, &old);
    bpf_map_update_elem(&tasks, &tid, &copy, BPF_ANY);
    t = bpf_map_lookup_elem(&tasks, &tid);
    if (!t)
      return 0;
  }
  if (!(t->flags & DD_F_ACTIVE))
    return 0;
  struct dd_config *cfg = get_config();
  int workload = 0;
  /* The first exec on the container side is the user's process: everything after it is the workload. */
  if (cfg && !(t->flags & DD_F_WORKLOAD) && container_side(task, cfg)) {
    t->flags |= DD_F_WORKLOAD;
    workload = 1;
  }
  struct dd_event *e = reserve_event();
  if (!e)
    return 0;
  e->kind = DD_EV_EXEC;
  e->pid = tid;
  e->tgid = task->tgid;
  e->other = old_pid;
  e->root = t->root;
  e->args[0] = mntns_of(task);
  e->args[1] = pidns_of(task);
  e->args[2] = workload;
  bpf_probe_read_kernel_str(e->str, sizeof(e->str), BPF_CORE_READ(bprm, filename));
  bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(dd_exit, struct task_struct *task)
{
  __u32 tid = task->pid;
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &tid);
  if (!t)
    return 0;
  /* Fold the thread's counts into its process before the entry goes. */
  __u32 tgid = task->tgid;
  struct dd_proc *p = bpf_map_lookup_elem(&procs, &tgid);
  if (!p) {
    struct dd_proc zero = {};
    bpf_map_update_elem(&procs, &tgid, &zero, BPF_NOEXIST);
    p = bpf_map_lookup_elem(&procs, &tgid);
  }
  if (p) {
    for (int i = 0; i < DD_BUCKETS; i++)
      __sync_fetch_and_add(&p->calls[i], t->calls[i]);
    __sync_fetch_and_add(&p->errors, t->errors);
  }
  struct dd_event *e = reserve_event();
  if (e) {
    e->kind = DD_EV_EXIT;
    e->pid = tid;
    e->tgid = tgid;
    e->root = t->root;
    e->ret = task->exit_code;
    e->args[2] = tid != tgid;
    e->args[3] = (t->flags & DD_F_ACTIVE) != 0;
    bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  }
  bpf_map_delete_elem(&tasks, &tid);
  bump(DD_C_LIVE, -1);
  return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(dd_cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
  __u32 tid = (__u32)bpf_get_current_pid_tgid();
  struct dd_task *t = bpf_map_lookup_elem(&tasks, &tid);
  if (!t || !(t->flags & DD_F_ACTIVE))
    return 0;
  struct dd_event *e = reserve_event();
  if (!e)
    return 0;
  e->kind = DD_EV_CGROUP;
  e->pid = tid;
  e->tgid = t->tgid;
  e->other = task->pid;
  e->root = t->root;
  e->nr = t->nr;
  e->args[0] = BPF_CORE_READ(dst, root, hierarchy_id);
  e->args[1] = t->enter_ns;
  bpf_probe_read_kernel_str(e->str, sizeof(e->str), path);
  /* Also report the syscall that attached (a write to cgroup.procs, or clone3 into a cgroup), with its duration:
   * on cgroup v1 that write can wait out an RCU grace period. */
  if (!(t->flags & DD_F_EMIT)) {
    t->flags |= DD_F_EMIT;
    __builtin_memset(t->args, 0, sizeof(t->args));
    bpf_probe_read_kernel_str(t->str, sizeof(t->str), path);
  }
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
  return 0;
}
