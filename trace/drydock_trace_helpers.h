/* drydock_trace_helpers.h: helpers of drydock_trace.bpf.c (included after its maps, which they use):
 * namespace and bucket of the current task, target matching, events, syscall arguments. */
#ifndef DRYDOCK_TRACE_HELPERS_H
#define DRYDOCK_TRACE_HELPERS_H

static __always_inline void bump(__u32 which, __s64 delta)
{
  __s64 *value = bpf_map_lookup_elem(&counters, &which);
  if (value)
    __sync_fetch_and_add(value, delta);
}

static __always_inline __u32 mntns_of(struct task_struct *task)
{
  return BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

/* The pid namespace the task itself lives in (not nsproxy's pid_ns_for_children, which unshare changes). */
static __always_inline __u32 pidns_of(struct task_struct *task)
{
  struct pid *pid = BPF_CORE_READ(task, thread_pid);
  unsigned int level = BPF_CORE_READ(pid, level);
  struct upid upid = {};
  bpf_probe_read_kernel(&upid, sizeof(upid), &pid->numbers[level & 31]);
  return BPF_CORE_READ(upid.ns, ns.inum);
}

static __always_inline struct dd_config *get_config(void)
{
  __u32 zero = 0;
  return bpf_map_lookup_elem(&dd_config_map, &zero);
}

static __always_inline int container_side(struct task_struct *task, struct dd_config *cfg)
{
  return mntns_of(task) != cfg->host_mntns || pidns_of(task) != cfg->host_pidns;
}

static __always_inline __u32 bucket_of(struct dd_task *t, struct dd_config *cfg)
{
  if (t->flags & DD_F_WORKLOAD)
    return DD_B_WORKLOAD;
  struct task_struct *task = bpf_get_current_task_btf();
  /* filter_count rather than mode: it also sees filters stacked on an already filtered tracer. */
  if ((__u32)task->seccomp.filter_count.counter > cfg->base_filters)
    return DD_B_SECCOMP;
  /* Reading the namespaces costs several probe reads: cache the answer until a namespace call or a fork. */
  if (t->side == 0)
    t->side = container_side(task, cfg) ? 2 : 1;
  return t->side == 2 ? DD_B_SETUP : DD_B_HOST;
}

static __always_inline int matches_target(struct dd_config *cfg)
{
  struct task_struct *task = bpf_get_current_task_btf();
  switch (cfg->mode) {
  case DD_MODE_MNTNS: return mntns_of(task) == cfg->target_id;
  case DD_MODE_PIDNS: return pidns_of(task) == cfg->target_id;
  case DD_MODE_CGROUP: return bpf_get_current_cgroup_id() == cfg->target_id;
  }
  return 0;
}

static __always_inline struct dd_event *reserve_event(void)
{
  struct dd_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    bump(DD_C_LOST, 1);
    return 0;
  }
  __builtin_memset(e, 0, sizeof(*e));
  e->ts = bpf_ktime_get_ns();
  return e;
}

static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
  return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
  return regs->syscallno;
#endif
}

static __always_inline void read_args(struct pt_regs *regs, __u64 *args)
{
#if defined(__TARGET_ARCH_x86)
  args[0] = regs->di; args[1] = regs->si; args[2] = regs->dx; args[3] = regs->r10;
#elif defined(__TARGET_ARCH_arm64)
  args[0] = regs->regs[0]; args[1] = regs->regs[1]; args[2] = regs->regs[2]; args[3] = regs->regs[3];
#else
#error "drydock trace: unsupported architecture"
#endif
}

#endif
