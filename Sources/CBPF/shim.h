// CBPF: libbpf for the Tracer module, plus the event/map layouts shared with trace/drydock_trace.bpf.c.
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include "../../trace/drydock_trace.h"

// libbpf reports through a printf-style callback taking a va_list; formatting it here keeps Swift away
// from C varargs: Swift installs a plain (level, message) sink.
typedef void (*dd_log_sink)(int level, const char *message);
// A function-local static: a file-scope one in a header imported by Swift is never emitted.
static inline dd_log_sink *dd_sink_slot(void) { static dd_log_sink slot; return &slot; }
static inline int dd_libbpf_print(enum libbpf_print_level level, const char *format, va_list args) {
  char buffer[1024];
  vsnprintf(buffer, sizeof buffer, format, args);
  if (*dd_sink_slot()) (*dd_sink_slot())((int)level, buffer);
  return 0;
}
static inline void dd_set_log_sink(dd_log_sink sink) {
  *dd_sink_slot() = sink;
  libbpf_set_print(sink ? dd_libbpf_print : NULL);
}

// gettid without glibc's feature macros: the overhead meter registers its own thread.
#include <unistd.h>
#include <sys/syscall.h>
static inline int dd_gettid(void) { return (int)syscall(SYS_gettid); }
