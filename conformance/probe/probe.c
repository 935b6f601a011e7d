/*
 * drydock probe: runs inside a container and prints one JSON object of what it sees.
 * Built at run time by drydock with `cc -O2 -static`; copied into each bundle as /probe.
 * It judges nothing: the verdicts are computed outside the container by drydock.
 *
 * Usage: probe [OPTION ...] [ACTION ...]
 *   -o FILE      write the report to FILE (default: stdout, between marker lines)
 *   -p PATH      report exists/type/readable/writable/rdev/entries for PATH (masked/readonly paths)
 *   -s NAME      report the sysctl NAME (dots, read from /proc/sys)
 *   -f PATH      report the first 4 KiB of the file PATH (cgroup files, ...)
 *   -c SYSCALL   try SYSCALL and report "ok" or the errno name
 *                (mkdir, chown, sethostname, mount, unshare, setuid, kill1, getcwd, socket, chroot, ptrace, mknod, getpid,
 *                nr:N for the raw system call number N)
 *   -n           no report (actions only)
 * Actions run in order after the report: sleep N | exit N | write PATH TEXT | touch PATH | wait (pause forever)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAXARGS 64
static const char *paths[MAXARGS], *sysctls[MAXARGS], *files[MAXARGS], *calls[MAXARGS];
static int npaths, nsysctls, nfiles, ncalls;
static FILE *out;

/* ---------- JSON writing ---------- */
static int first_stack[32];
static int depth;

static void sep(void) {
  if (!first_stack[depth]) fputc(',', out);
  first_stack[depth] = 0;
}
static void jstr_raw(const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", out);
    else if (*p == '\t') fputs("\\t", out);
    else if (*p < 0x20 || *p >= 0x7f) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}
static void key(const char *k) { sep(); if (k) { jstr_raw(k); fputc(':', out); } }
static void open_(const char *k, char c) { key(k); fputc(c, out); first_stack[++depth] = 1; }
static void obj(const char *k) { open_(k, '{'); }
static void arr(const char *k) { open_(k, '['); }
static void end_obj(void) { depth--; fputc('}', out); }
static void end_arr(void) { depth--; fputc(']', out); }
static void str(const char *k, const char *v) { key(k); if (v) jstr_raw(v); else fputs("null", out); }
static void num(const char *k, long long v) { key(k); fprintf(out, "%lld", v); }
static void unum(const char *k, unsigned long long v) { key(k); fprintf(out, "%llu", v); }
static void boolean(const char *k, int v) { key(k); fputs(v ? "true" : "false", out); }

static const char *errname(int e) {
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EACCES: return "EACCES";
  case EROFS: return "EROFS"; case EINVAL: return "EINVAL"; case EEXIST: return "EEXIST";
  case ENOSYS: return "ENOSYS"; case EBUSY: return "EBUSY"; case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR"; case ESRCH: return "ESRCH"; case ENOTSUP: return "ENOTSUP";
  case EAFNOSUPPORT: return "EAFNOSUPPORT"; case ENODEV: return "ENODEV"; case ENXIO: return "ENXIO";
  case EBADF: return "EBADF"; case E2BIG: return "E2BIG"; case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM"; case ENOSPC: return "ENOSPC"; case EXDEV: return "EXDEV";
  case EFAULT: return "EFAULT"; case EIO: return "EIO"; case ENOTEMPTY: return "ENOTEMPTY";
  default: { static char buf[16]; snprintf(buf, sizeof buf, "E%d", e); return buf; }
  }
}

static int read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fd, buf + n, cap - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n >= cap - 1) break;
  }
  close(fd);
  buf[n] = 0;
  return (int)n;
}
static void chomp(char *s) { size_t n = strlen(s); while (n && (s[n-1] == '\n' || s[n-1] == ' ')) s[--n] = 0; }

/* ---------- capabilities ---------- */
static const char *cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
  "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
  "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
  "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

static void cap_set(const char *k, unsigned long long mask) {
  arr(k);
  for (unsigned i = 0; i < 64; i++) {
    if (!(mask & (1ULL << i))) continue;
    if (i < sizeof cap_names / sizeof *cap_names) str(NULL, cap_names[i]);
    else { char b[16]; snprintf(b, sizeof b, "CAP_%u", i); str(NULL, b); }
  }
  end_arr();
}

static void status_fields(void) {
  static char buf[16384];
  if (read_file("/proc/self/status", buf, sizeof buf) < 0) return;
  static const char *wanted[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"};
  obj("status");
  unsigned long long masks[5] = {0};
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = 0;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    for (unsigned i = 0; i < sizeof wanted / sizeof *wanted; i++) {
      if (strcmp(line, wanted[i]) != 0) continue;
      str(line, v);
      if (i < 5) masks[i] = strtoull(v, NULL, 16);
    }
  }
  end_obj();
  obj("caps");
  cap_set("inheritable", masks[0]); cap_set("permitted", masks[1]); cap_set("effective", masks[2]);
  cap_set("bounding", masks[3]); cap_set("ambient", masks[4]);
  end_obj();
}

/* ---------- identity, process ---------- */
static void identity(int argc, char **argv) {
  num("pid", getpid());
  num("ppid", getppid());
  num("uid", getuid()); num("gid", getgid()); num("euid", geteuid()); num("egid", getegid());
  gid_t groups[256];
  int n = getgroups(256, groups);
  arr("groups");
  for (int i = 0; i < n; i++) num(NULL, groups[i]);
  end_arr();
  mode_t m = umask(0); umask(m);
  char b[16]; snprintf(b, sizeof b, "%04o", m); str("umask", b);
  char cwd[4096]; str("cwd", getcwd(cwd, sizeof cwd) ? cwd : NULL);
  struct utsname u; uname(&u);
  str("hostname", u.nodename); str("domainname", u.domainname);
  arr("argv"); for (int i = 0; i < argc; i++) str(NULL, argv[i]); end_arr();
  extern char **environ;
  obj("env");
  for (char **e = environ; *e; e++) {
    char k[512]; const char *eq = strchr(*e, '=');
    size_t kl = eq ? (size_t)(eq - *e) : strlen(*e);
    if (kl >= sizeof k) kl = sizeof k - 1;
    memcpy(k, *e, kl); k[kl] = 0;
    str(k, eq ? eq + 1 : "");
  }
  end_obj();
  char buf[256];
  if (read_file("/proc/self/oom_score_adj", buf, sizeof buf) >= 0) num("oomScoreAdj", atoll(buf));
  int pers = personality(0xffffffff);
  snprintf(buf, sizeof buf, "0x%x", pers); str("personality", buf);
  str("personalityDomain", (pers & 0xff) == PER_LINUX32 ? "LINUX32" : (pers & 0xff) == PER_LINUX ? "LINUX" : "other");
}

static void idmap(const char *k, const char *path) {
  static char buf[4096];
  arr(k);
  if (read_file(path, buf, sizeof buf) >= 0) {
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
      unsigned long long a, b, c;
      if (sscanf(line, "%llu %llu %llu", &a, &b, &c) == 3) { arr(NULL); unum(NULL, a); unum(NULL, b); unum(NULL, c); end_arr(); }
    }
  }
  end_arr();
}

static const struct { const char *name; int res; } rlimit_names[] = {
  {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_DATA", RLIMIT_DATA},
  {"RLIMIT_STACK", RLIMIT_STACK}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_RSS", RLIMIT_RSS},
  {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
  {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
  {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static void limit_value(const char *k, rlim_t v) {
  if (v == RLIM_INFINITY) str(k, "unlimited"); else unum(k, (unsigned long long)v);
}

static void rlimits(void) {
  obj("rlimits");
  for (unsigned i = 0; i < sizeof rlimit_names / sizeof *rlimit_names; i++) {
    struct rlimit r;
    if (getrlimit(rlimit_names[i].res, &r) != 0) continue;
    obj(rlimit_names[i].name); limit_value("soft", r.rlim_cur); limit_value("hard", r.rlim_max); end_obj();
  }
  end_obj();
}

static void namespaces(void) {
  static const char *ns[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                             "time_for_children", "user", "uts"};
  obj("ns");
  for (unsigned i = 0; i < sizeof ns / sizeof *ns; i++) {
    char p[64]; struct stat st;
    snprintf(p, sizeof p, "/proc/self/ns/%s", ns[i]);
    if (stat(p, &st) == 0) unum(ns[i], (unsigned long long)st.st_ino);
  }
  end_obj();
}

static void scheduling(void) {
  obj("scheduler");
  int pol = sched_getscheduler(0);
  const char *name = pol == SCHED_OTHER ? "SCHED_OTHER" : pol == SCHED_FIFO ? "SCHED_FIFO" : pol == SCHED_RR ? "SCHED_RR"
    : pol == SCHED_BATCH ? "SCHED_BATCH" : pol == SCHED_IDLE ? "SCHED_IDLE" : pol == 6 ? "SCHED_DEADLINE" : "unknown";
  str("policy", name);
  struct sched_param sp; sched_getparam(0, &sp); num("priority", sp.sched_priority);
  errno = 0; num("nice", getpriority(PRIO_PROCESS, 0));
  end_obj();
  long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  obj("ioprio");
  if (io >= 0) {
    static const char *cls[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
    int c = (int)(io >> 13);
    str("class", c < 4 ? cls[c] : "unknown"); num("priority", io & 0xff);
  }
  end_obj();
  cpu_set_t set; CPU_ZERO(&set);
  arr("affinity");
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) num(NULL, i);
  end_arr();
}

/* ---------- mounts ---------- */
static void split_list(const char *k, const char *csv) {
  arr(k);
  char tmp[1024]; snprintf(tmp, sizeof tmp, "%s", csv);
  for (char *save, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) str(NULL, t);
  end_arr();
}

static void mounts(void) {
  static char buf[65536];
  arr("mounts");
  if (read_file("/proc/self/mountinfo", buf, sizeof buf) < 0) { end_arr(); return; }
  char *save_line;
  for (char *line = strtok_r(buf, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
    /* id parent major:minor root target options [optional...] - fstype source superoptions */
    char *f[32]; int n = 0;
    for (char *s2, *t = strtok_r(line, " ", &s2); t && n < 32; t = strtok_r(NULL, " ", &s2)) f[n++] = t;
    if (n < 7) continue;
    int dash = -1;
    for (int i = 6; i < n; i++) if (strcmp(f[i], "-") == 0) { dash = i; break; }
    if (dash < 0 || dash + 3 > n) continue;
    obj(NULL);
    str("target", f[4]); str("root", f[3]);
    str("fstype", f[dash + 1]); str("source", f[dash + 2]);
    split_list("options", f[5]);
    split_list("superOptions", dash + 3 < n ? f[dash + 3] : "");
    const char *prop = "private";
    char pbuf[128] = "";
    for (int i = 6; i < dash; i++) {
      if (strncmp(f[i], "shared:", 7) == 0) prop = "shared";
      else if (strncmp(f[i], "master:", 7) == 0 && strcmp(prop, "shared") != 0) prop = "slave";
      else if (strcmp(f[i], "unbindable") == 0) prop = "unbindable";
      strncat(pbuf, f[i], sizeof pbuf - strlen(pbuf) - 2); strcat(pbuf, " ");
    }
    chomp(pbuf);
    str("propagation", prop); str("tags", pbuf);
    end_obj();
  }
  end_arr();
}

/* ---------- devices, fds ---------- */
static void device_entry(const char *path, const struct stat *st) {
  obj(path);
  const char *type = S_ISCHR(st->st_mode) ? "c" : S_ISBLK(st->st_mode) ? "b" : S_ISDIR(st->st_mode) ? "d"
    : S_ISLNK(st->st_mode) ? "l" : S_ISFIFO(st->st_mode) ? "p" : S_ISSOCK(st->st_mode) ? "s" : "f";
  str("type", type);
  if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) { num("major", major(st->st_rdev)); num("minor", minor(st->st_rdev)); }
  char m[16]; snprintf(m, sizeof m, "%04o", st->st_mode & 07777); str("mode", m);
  num("uid", st->st_uid); num("gid", st->st_gid);
  if (S_ISLNK(st->st_mode)) { char t[4096]; ssize_t l = readlink(path, t, sizeof t - 1); if (l >= 0) { t[l] = 0; str("link", t); } }
  end_obj();
}

static void devices_in(const char *dir, int level) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    char p[4096]; snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(p, &st) != 0) continue;
    device_entry(p, &st);
    if (S_ISDIR(st.st_mode) && level < 1 && strcmp(e->d_name, "shm") != 0) devices_in(p, level + 1);
  }
  closedir(d);
}

static void fds(void) {
  obj("fds");
  DIR *d = opendir("/proc/self/fd");
  int self = d ? dirfd(d) : -1;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    /* the directory being read and the report being written are the probe's own, not the container's */
    if (atoi(e->d_name) == self || (out && atoi(e->d_name) == fileno(out) && out != stdout)) continue;
    char p[320], t[4096]; snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
    ssize_t l = readlink(p, t, sizeof t - 1);
    t[l < 0 ? 0 : l] = 0;
    str(e->d_name, t);
  }
  if (d) closedir(d);
  end_obj();
}

/* ---------- requested paths, sysctls, files, syscalls ---------- */
static void path_entry(const char *p) {
  obj(p);
  struct stat st;
  int exists = lstat(p, &st) == 0;
  boolean("exists", exists);
  if (exists) {
    str("type", S_ISDIR(st.st_mode) ? "dir" : S_ISCHR(st.st_mode) ? "chr" : S_ISREG(st.st_mode) ? "file"
        : S_ISLNK(st.st_mode) ? "link" : "other");
    char r[32]; snprintf(r, sizeof r, "%u:%u", major(st.st_rdev), minor(st.st_rdev)); str("rdev", r);
    int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    str("read", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) {
      /* a masked file is /dev/null bound over it: reading gives 0 bytes (O_NONBLOCK: never hang on a tty) */
      if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) { char b[64]; ssize_t n = read(fd, b, sizeof b); num("readBytes", n < 0 ? -1 : n); }
      close(fd);
    }
    str("write", access(p, W_OK) == 0 ? "ok" : errname(errno));
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(p); int n = 0; struct dirent *e;
      while (d && (e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
      if (d) closedir(d);
      num("entries", n);
    }
  }
  end_obj();
}

static void sysctl_entry(const char *name) {
  char p[512], buf[4096];
  snprintf(p, sizeof p, "/proc/sys/%s", name);
  for (char *c = p + 10; *c; c++) if (*c == '.') *c = '/';
  if (read_file(p, buf, sizeof buf) < 0) { str(name, NULL); return; }
  chomp(buf);
  for (char *c = buf; *c; c++) if (*c == '\t') *c = ' ';
  str(name, buf);
}

static void file_entry(const char *path) {
  char buf[4096];
  int n = read_file(path, buf, sizeof buf);
  if (n < 0) { str(path, NULL); return; }
  chomp(buf);
  str(path, buf);
}

static int try_syscall(const char *name) {
  int r = -1;
  errno = 0;
  if (!strcmp(name, "mkdir")) { r = mkdir("/tmp/.probe-mkdir", 0700); if (r == 0) rmdir("/tmp/.probe-mkdir"); }
  else if (!strcmp(name, "chown")) {
    /* a file of our own on the /dev/shm tmpfs, given to another uid: needs CAP_CHOWN, touches nothing shared */
    int fd = open("/dev/shm/.probe-chown", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    close(fd);
    r = chown("/dev/shm/.probe-chown", 1234, (gid_t)-1);
    int saved = errno;
    unlink("/dev/shm/.probe-chown");
    errno = saved;
  }
  else if (!strcmp(name, "sethostname")) { struct utsname u; uname(&u); r = sethostname(u.nodename, strlen(u.nodename)); }
  else if (!strcmp(name, "mount")) r = mount("none", "/tmp", "tmpfs", 0, NULL);
  else if (!strcmp(name, "unshare")) r = unshare(CLONE_NEWUTS);
  else if (!strcmp(name, "setuid")) r = setuid(getuid());
  else if (!strcmp(name, "kill1")) r = kill(1, 0);
  else if (!strcmp(name, "getcwd")) { char b[256]; r = getcwd(b, sizeof b) ? 0 : -1; }
  else if (!strcmp(name, "socket")) { r = socket(AF_INET, SOCK_STREAM, 0); if (r >= 0) { close(r); r = 0; } }
  else if (!strcmp(name, "chroot")) r = chroot("/");
  else if (!strcmp(name, "ptrace")) r = (int)syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, getppid(), 0, 0);
  else if (!strcmp(name, "mknod")) { r = mknod("/tmp/.probe-null", S_IFCHR | 0600, makedev(1, 3)); if (r == 0) unlink("/tmp/.probe-null"); }
  else if (!strcmp(name, "getpid")) r = (int)syscall(SYS_getpid) > 0 ? 0 : -1;
  /* nr:N, a raw system call by number with zero arguments (numbers no kernel knows, for seccomp's ENOSYS) */
  else if (!strncmp(name, "nr:", 3)) r = (int)syscall(atol(name + 3), 0, 0, 0, 0, 0, 0);
  else { errno = ENOSYS; return -1; }
  return r < 0 ? errno : 0;
}

static void report(int argc, char **argv) {
  first_stack[0] = 1; depth = 0;
  fputc('{', out); first_stack[++depth] = 1;
  str("probe", "drydock-probe/1");
  identity(argc, argv);
  status_fields();
  idmap("uidMap", "/proc/self/uid_map"); idmap("gidMap", "/proc/self/gid_map");
  rlimits();
  namespaces();
  scheduling();
  mounts();
  obj("devices"); devices_in("/dev", 0); end_obj();
  fds();
  static char cg[8192];
  if (read_file("/proc/self/cgroup", cg, sizeof cg) >= 0) {
    arr("cgroups"); for (char *l = strtok(cg, "\n"); l; l = strtok(NULL, "\n")) str(NULL, l); end_arr();
  }
  obj("paths"); for (int i = 0; i < npaths; i++) path_entry(paths[i]); end_obj();
  obj("sysctl"); for (int i = 0; i < nsysctls; i++) sysctl_entry(sysctls[i]); end_obj();
  obj("files"); for (int i = 0; i < nfiles; i++) file_entry(files[i]); end_obj();
  obj("syscalls"); for (int i = 0; i < ncalls; i++) str(calls[i], errname(try_syscall(calls[i]))); end_obj();
  end_obj();
  fputc('\n', out);
}

int main(int argc, char **argv) {
  const char *out_path = NULL;
  int no_report = 0, i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *o = argv[i];
    if (!strcmp(o, "-n")) { no_report = 1; continue; }
    if (i + 1 >= argc) { fprintf(stderr, "probe: %s needs an argument\n", o); return 125; }
    const char *v = argv[++i];
    if (!strcmp(o, "-o")) out_path = v;
    else if (!strcmp(o, "-p") && npaths < MAXARGS) paths[npaths++] = v;
    else if (!strcmp(o, "-s") && nsysctls < MAXARGS) sysctls[nsysctls++] = v;
    else if (!strcmp(o, "-f") && nfiles < MAXARGS) files[nfiles++] = v;
    else if (!strcmp(o, "-c") && ncalls < MAXARGS) calls[ncalls++] = v;
    else { fprintf(stderr, "probe: unknown option %s\n", o); return 125; }
  }
  if (!no_report) {
    if (out_path) {
      char tmp[4096]; snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
      out = fopen(tmp, "w");
      if (!out) { fprintf(stderr, "probe: open %s: %s\n", tmp, strerror(errno)); return 125; }
      report(argc, argv);
      fclose(out);
      /* rename, so a reader never sees half a report */
      if (rename(tmp, out_path) != 0) { fprintf(stderr, "probe: rename %s: %s\n", out_path, strerror(errno)); return 125; }
    } else {
      out = stdout;
      fputs("--- drydock-probe begin\n", out);
      report(argc, argv);
      fputs("--- drydock-probe end\n", out);
      fflush(out);
    }
  }
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "sleep") && i + 1 < argc) {
      struct timespec ts = {atoi(argv[++i]), 0};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    } else if (!strcmp(a, "exit") && i + 1 < argc) {
      return atoi(argv[++i]);
    } else if (!strcmp(a, "write") && i + 2 < argc) {
      int fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd < 0 || write(fd, argv[i + 2], strlen(argv[i + 2])) < 0) { perror(argv[i + 1]); return 124; }
      close(fd); i += 2;
    } else if (!strcmp(a, "touch") && i + 1 < argc) {
      int fd = open(argv[++i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) { perror(argv[i]); return 124; }
      close(fd);
    } else if (!strcmp(a, "wait")) {
      for (;;) pause();
    } else {
      fprintf(stderr, "probe: unknown action %s\n", a);
      return 125;
    }
  }
  return 0;
}
