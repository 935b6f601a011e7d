/* CVE-2019-5736: hull never leaves a writable view of its own binary reachable from a container. */
#include "clinux.h"
#include "kernel_abi.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
extern char **environ;

/* CVE-2019-5736: a container process must never reach a host hull binary it could write
   through /proc/<pid>/exe of a hull process inside the container. When the binary is
   writable by the caller and not already on a read-only mount (or a sealed memfd), hull
   re-executes itself once from a detached read-only bind of the same file: no copy, the
   page cache is shared, and a detached mount cannot be remounted from any namespace. An
   unprivileged caller (or an old kernel) cannot clone mounts and gets a sealed memfd copy.
   Returns 0 when nothing had to be done; on success it does not return; -1 + errno. */
static char **hk_reexec_environment(void);

int hk_protect_self_exe(char *const argv[]) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return -1;
  struct statvfs vfs;
  /* The read-only mount first: the re-executed hull (and one installed read-only) stops there. */
  int safe = fstatvfs(exe, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
  if (!safe) {
    int seals = fcntl(exe, F_GET_SEALS);
    safe = (seals >= 0 && (seals & F_SEAL_WRITE)) || access("/proc/self/exe", W_OK) != 0;
  }
  if (safe) {
    close(exe);
    return 0;
  }
  char **environment = hk_reexec_environment();
  int tree = (int)syscall(SYS_open_tree, exe, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH);
  if (tree >= 0) {
    struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0};
    /* execveat returns only on failure: then the memfd copy below is the way. */
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0)
      (void)syscall(SYS_execveat, tree, "", argv, environment, AT_EMPTY_PATH);
    close(tree);
  }
  int copy = memfd_create("hull", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  if (copy < 0 || fstat(exe, &st) != 0) { int e = errno; close(exe); if (copy >= 0) close(copy); errno = e; return -1; }
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = sendfile(copy, exe, &offset, (size_t)(st.st_size - offset));
    if (n <= 0) { int e = n < 0 ? errno : EIO; close(exe); close(copy); errno = e; return -1; }
  }
  close(exe);
  if (fcntl(copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0)
    (void)syscall(SYS_execveat, copy, "", argv, environment, AT_EMPTY_PATH);  /* returns only on failure */
  int e = errno;
  close(copy);
  errno = e;
  return -1;
}

/* 0: checked, nothing (more) to do; an errno: the check failed; -1: not run yet in this image. */
static int hk_self_exe_result = -1;

int hk_protect_self_exe_once(char *const argv[]) {
  if (hk_self_exe_result < 0) hk_self_exe_result = hk_protect_self_exe(argv) == 0 ? 0 : errno;
  errno = hk_self_exe_result;
  return hk_self_exe_result == 0 ? 0 : -1;
}

/* The same check as early as the process allows: a constructor runs before Swift's main,
   so the process about to be replaced does as little as possible (~0.2 ms here). It finds
   the subcommand by skipping hull's global flags. The two lists below are the only copy of
   this knowledge: HullMain builds its global flags and its own check from them (through
   LinuxKit.SelfExe). Anything the constructor misses is caught by the call in HullMain. */
static const char *const hk_global_flags_with_value[] = {"root", "log", "log-format", "rootless", "criu", NULL};
static const char *const hk_self_exe_commands[] = {"create", "run", "exec", "restore", NULL};

int hk_global_flag_takes_value(const char *arg) {
  while (*arg == '-') arg++;
  if (strchr(arg, '=')) return 0;
  for (int i = 0; hk_global_flags_with_value[i]; i++)
    if (strcmp(arg, hk_global_flags_with_value[i]) == 0) return 1;
  return 0;
}

int hk_self_exe_command(const char *command) {
  for (int i = 0; hk_self_exe_commands[i]; i++)
    if (strcmp(command, hk_self_exe_commands[i]) == 0) return 1;
  return 0;
}

/* Defined by the hull executable only (Sources/hull/main.swift): test bundles that link this
   shim must not re-execute themselves because an argument happens to read "run". */
extern void hk_hull_executable(void) __attribute__((weak));

/* The Swift runtime's backtracer setup probes, at every start, for a swift-backtrace helper
   that a static hull never ships (8 stat calls, 2 TCGETS, a readlink), and finds none. The
   guard's re-execution (the start that does the work of create, run and exec) tells it there is
   nothing to find: SWIFT_BACKTRACE in the new image's initial environment, unless the user set
   one. Not by setenv in this image: a static Swift executable finds argv by walking back from
   `environ`, which setenv moves to the heap (CommandLine.arguments then comes out empty).
   HullMain removes the variable (hk_forget_backtrace_setting; unsetenv shifts entries in place),
   so no process hull starts inherits it. */
static const char hk_backtrace_off[] = "SWIFT_BACKTRACE=enable=no,interactive=no,color=no,swift-backtrace=/";
static int hk_backtrace_set_here;

static char **hk_reexec_environment(void) {
  size_t count = 0;
  for (char **entry = environ; *entry; entry++) {
    if (strncmp(*entry, "SWIFT_BACKTRACE=", 16) == 0) return environ;
    count++;
  }
  char **copy = malloc((count + 2) * sizeof *copy);
  if (!copy) return environ;  /* the probing stays: harmless */
  memcpy(copy, environ, count * sizeof *copy);
  copy[count] = (char *)hk_backtrace_off;
  copy[count + 1] = NULL;
  return copy;  /* freed by the exec that replaces this image (on failure, hull exits soon after) */
}

__attribute__((constructor)) static void hk_note_backtrace_setting(void) {
  const char *current = getenv("SWIFT_BACKTRACE");
  hk_backtrace_set_here = hk_hull_executable && current && strcmp(current, hk_backtrace_off + 16) == 0;
}

void hk_forget_backtrace_setting(void) {
  if (hk_backtrace_set_here) (void)unsetenv("SWIFT_BACKTRACE");  /* fails only on a bad name */
  hk_backtrace_set_here = 0;
}

__attribute__((constructor)) static void hk_protect_self_exe_early(int argc, char **argv) {
  if (!hk_hull_executable) return;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') {
      if (hk_global_flag_takes_value(argv[i])) i++;
      continue;
    }
    if (hk_self_exe_command(argv[i]))
      (void)hk_protect_self_exe_once(argv);  /* on failure, HullMain's call reports it */
    return;
  }
}
