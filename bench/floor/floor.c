/*
 * floor: the kernel work of an OCI container start and nothing else, so that benchmark results
 * read as "overhead above the floor" (see docs/performance.md).
 *
 * Usage: floor ROOTFS CGROUP_PATH [HOSTNAME [MEMORY_LIMIT_BYTES]]
 *   ROOTFS       the container's root filesystem (a bundle's rootfs)
 *   CGROUP_PATH  absolute cgroup path created (with missing parents) in every mounted v1 hierarchy and
 *                the cgroup2 mount; the child is attached to it and the leaf is removed at the end
 *                (the caller removes parents it owns); "-" skips cgroups
 * MEMORY_LIMIT_BYTES  written into the memory cgroup before the child joins it, as a runtime applies
 *                linux.resources.memory: v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes (memory+swap
 *                equal to it, so swap cannot hide a shortfall), v2 memory.max and memory.swap.max 0; the
 *                bench's memory-limit scenario bisects over it (the kernel's own need for a start)
 * Does what the template config (runc spec's default) asks of a runtime: clone with new pid, net, ipc,
 * uts and mount namespaces; attach to the cgroups while the child waits; in the child: private
 * propagation, bind the rootfs, mount proc, tmpfs /dev (+ the default device nodes), devpts,
 * /dev/shm, mqueue, sysfs (ro), sethostname, pivot_root, read-only root; exec /bin/true; wait; rmdir.
 * No JSON, capabilities, seccomp, rlimits or state: those are the runtime's own overhead.
 * Exit status: the container's, or 120+ with a message naming the failed step and path on stderr.
 * Built by `drydock bench` with `cc -O2 -static`.
 */
#define _GNU_SOURCE
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

#define MAX_HIERARCHIES 32
static char *cgroup_dirs[MAX_HIERARCHIES];
static size_t mount_lengths[MAX_HIERARCHIES];
static int cgroup_count;
static const char *rootfs, *hostname = "busybox";
static int ready_pipe[2];

static void die(const char *step, const char *path) {
  fprintf(stderr, "floor: %s %s: %s\n", step, path ? path : "", strerror(errno));
  _exit(121);
}

/* Every cgroup (v1) and cgroup2 mount point, from /proc/self/mountinfo. */
static void find_hierarchies(const char *cgroup_path) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (!f) die("open", "/proc/self/mountinfo");
  char line[4096];
  while (fgets(line, sizeof line, f) && cgroup_count < MAX_HIERARCHIES) {
    char *sep = strstr(line, " - ");
    if (!sep) continue;
    if (strncmp(sep + 3, "cgroup ", 7) && strncmp(sep + 3, "cgroup2 ", 8)) continue;
    char *field = line; /* the mount point is the 5th field */
    for (int i = 0; i < 4 && field; i++) { field = strchr(field, ' '); if (field) field++; }
    if (!field) continue;
    char *end = strchr(field, ' ');
    if (!end) continue;
    *end = 0;
    if (asprintf(&cgroup_dirs[cgroup_count], "%s%s", field, cgroup_path) < 0) die("asprintf", NULL);
    mount_lengths[cgroup_count] = strlen(field);
    cgroup_count++;
  }
  fclose(f);
}

/* Copy a cpuset file from the parent directory when empty: a v1 cpuset without cpus/mems refuses tasks (ENOSPC).
   A v2 cgroup (it has cgroup.controllers) takes empty as "the parent's": nothing to copy, and v2's root has no
   cpuset.cpus to copy from. */
static void inherit_cpuset(const char *dir, const char *file) {
  char path[4200], parent[4200], value[4096];
  snprintf(path, sizeof path, "%s/cgroup.controllers", dir);
  if (access(path, F_OK) == 0) return;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return; /* not the cpuset hierarchy */
  ssize_t n = read(fd, value, sizeof value);
  if (n > 1) { close(fd); return; }
  snprintf(parent, sizeof parent, "%s", dir);
  *strrchr(parent, '/') = 0;
  strncat(parent, "/", sizeof parent - strlen(parent) - 1);
  strncat(parent, file, sizeof parent - strlen(parent) - 1);
  int pfd = open(parent, O_RDONLY | O_CLOEXEC);
  if (pfd < 0) die("open", parent);
  n = read(pfd, value, sizeof value);
  close(pfd);
  if (n <= 0 || write(fd, value, n) != n) die("write", path);
  close(fd);
}

/* mkdir -p below the hierarchy's mount point, initialising each new cpuset level. */
static void make_cgroup(char *dir, size_t mount_length) {
  for (char *p = dir + mount_length + 1; ; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) die("mkdir", dir);
    inherit_cpuset(dir, "cpuset.cpus");
    inherit_cpuset(dir, "cpuset.mems");
    *p = saved;
    if (!saved) break;
  }
}

/* The memory limit, in whichever of the files exist in this hierarchy (only the memory ones have them). */
static void limit_memory(const char *dir, const char *bytes) {
  static const struct { const char *file, *value; } files[] = {
    {"memory.limit_in_bytes", NULL}, {"memory.memsw.limit_in_bytes", NULL}, {"memory.max", NULL}, {"memory.swap.max", "0"}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const char *value = files[i].value ? files[i].value : bytes;
    if (write(fd, value, strlen(value)) != (ssize_t)strlen(value)) die("write", path);
    close(fd);
  }
}

static void mount_or_die(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
  if (mount(source, target, type, flags, data) < 0) die("mount", target);
}

static int child_main(void *unused) {
  (void)unused;
  char c;
  close(ready_pipe[1]);
  if (read(ready_pipe[0], &c, 1) != 1) die("read", "ready pipe"); /* the parent has attached us */
  close(ready_pipe[0]);
  mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  mount_or_die(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
  if (chdir(rootfs) < 0) die("chdir", rootfs);
  mount_or_die("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mount_or_die("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  static const struct { const char *name; int major, minor; } devices[] = {
    {"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7}, {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
    if (mknod(devices[i].name, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0) die("mknod", devices[i].name);
  if (mkdir("dev/pts", 0755) < 0) die("mkdir", "dev/pts");
  mount_or_die("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (mkdir("dev/shm", 0755) < 0) die("mkdir", "dev/shm");
  mount_or_die("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
  if (mkdir("dev/mqueue", 0755) < 0) die("mkdir", "dev/mqueue");
  mount_or_die("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  mount_or_die("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  if (sethostname(hostname, strlen(hostname)) < 0) die("sethostname", hostname);
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root", rootfs);
  if (umount2(".", MNT_DETACH) < 0) die("umount2", "old root");
  if (chdir("/") < 0) die("chdir", "/");
  mount_or_die(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL); /* root.readonly: true */
  char *const argv[] = {"/bin/true", NULL};
  char *const envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
  execve(argv[0], argv, envp);
  die("execve", argv[0]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: floor ROOTFS CGROUP_PATH|- [HOSTNAME [MEMORY_LIMIT_BYTES]]\n");
    return 120;
  }
  rootfs = argv[1];
  if (argc > 3) hostname = argv[3];
  int use_cgroups = strcmp(argv[2], "-") != 0;
  if (use_cgroups) {
    find_hierarchies(argv[2]);
    for (int i = 0; i < cgroup_count; i++) make_cgroup(cgroup_dirs[i], mount_lengths[i]);
    if (argc > 4)
      for (int i = 0; i < cgroup_count; i++) limit_memory(cgroup_dirs[i], argv[4]);
  }
  if (pipe2(ready_pipe, O_CLOEXEC) < 0) die("pipe2", NULL);
  size_t stack_size = 256 * 1024;
  char *stack = malloc(stack_size);
  if (!stack) die("malloc", NULL);
  pid_t pid = clone(child_main, stack + stack_size,
                    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | SIGCHLD, NULL);
  if (pid < 0) die("clone", NULL);
  close(ready_pipe[0]);
  char pid_text[32];
  int pid_length = snprintf(pid_text, sizeof pid_text, "%d", pid);
  for (int i = 0; i < cgroup_count; i++) {
    char procs[4200];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup_dirs[i]);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid_text, pid_length) != pid_length) { kill(pid, SIGKILL); die("attach", procs); }
    close(fd);
  }
  if (write(ready_pipe[1], "g", 1) != 1) die("write", "ready pipe");
  close(ready_pipe[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid", NULL);
  for (int i = 0; i < cgroup_count; i++)
    if (rmdir(cgroup_dirs[i]) < 0 && errno != ENOENT) die("rmdir", cgroup_dirs[i]);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
