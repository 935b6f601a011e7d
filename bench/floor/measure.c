/*
 * measure: run a command and report its own wall time, CPU time and peak RSS, free of the caller's.
 *
 * Usage: measure RESULT_FILE PROGRAM [ARG...]
 * Writes "wall_ns user_ns sys_ns maxrss_kb page_faults context_switches\n" to RESULT_FILE (faults minor + major,
 * switches voluntary + involuntary: counts the scheduler and page cache barely perturb, so gates can hold them tight), then exits with PROGRAM's status (or dies by
 * its signal). stdio, the process group and the environment are passed through.
 *
 * Why: the kernel keeps, across execve, the peak RSS of the memory image a process had before it (the
 * parent's, for a vfork/posix_spawn child), so wait4's ru_maxrss of a runtime started directly by the
 * ~30 MB test-bed reads ~30 MB whatever the runtime used. Started from this ~0.5 MB static program, it is
 * the runtime's own. Timing here also leaves this program's exec out of the wall time.
 * Built by `drydock bench` with `cc -O2 -static`, next to the floor.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: measure RESULT_FILE PROGRAM [ARG...]\n");
    return 125;
  }
  unsigned long long start = now_ns();
  pid_t pid;
  int rc = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
  if (rc != 0) {
    fprintf(stderr, "measure: posix_spawn %s: %s\n", argv[2], strerror(rc));
    return 127;
  }
  int status;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) { perror("measure: wait4"); return 126; }
  }
  unsigned long long wall = now_ns() - start;
  FILE *out = fopen(argv[1], "w");
  if (!out) { fprintf(stderr, "measure: open %s: %s\n", argv[1], strerror(errno)); return 126; }
  fprintf(out, "%llu %llu %llu %ld %ld %ld\n", wall,
          (unsigned long long)usage.ru_utime.tv_sec * 1000000000ull + (unsigned long long)usage.ru_utime.tv_usec * 1000ull,
          (unsigned long long)usage.ru_stime.tv_sec * 1000000000ull + (unsigned long long)usage.ru_stime.tv_usec * 1000ull,
          usage.ru_maxrss, usage.ru_minflt + usage.ru_majflt, usage.ru_nvcsw + usage.ru_nivcsw);
  fclose(out);
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}
