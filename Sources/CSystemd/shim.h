// CSystemd: the declarations of libsystemd's sd-bus, for hull's systemd cgroup driver. hull is one static
// executable and Debian ships no libsystemd.a, so nothing links against libsystemd (this module names no
// library): the driver dlopen()s libsystemd.so.0 when --systemd-cgroup is used and resolves each function
// with dlsym, typed by the pointer types below, which come from the real prototypes of <systemd/sd-bus.h>
// (a prototype that changes changes them). Every added name starts with `hk_sd_`.
#pragma once
#include <dlfcn.h>
#include <systemd/sd-bus.h>

typedef __typeof__(&sd_bus_new) hk_sd_bus_new_fn;
typedef __typeof__(&sd_bus_set_address) hk_sd_bus_set_address_fn;
typedef __typeof__(&sd_bus_start) hk_sd_bus_start_fn;
typedef __typeof__(&sd_bus_open_system) hk_sd_bus_open_system_fn;
typedef __typeof__(&sd_bus_open_user) hk_sd_bus_open_user_fn;
typedef __typeof__(&sd_bus_flush_close_unref) hk_sd_bus_flush_close_unref_fn;
typedef __typeof__(&sd_bus_match_signal) hk_sd_bus_match_signal_fn;
typedef __typeof__(&sd_bus_process) hk_sd_bus_process_fn;
typedef __typeof__(&sd_bus_wait) hk_sd_bus_wait_fn;
typedef __typeof__(&sd_bus_call) hk_sd_bus_call_fn;
typedef __typeof__(&sd_bus_message_new_method_call) hk_sd_bus_message_new_method_call_fn;
typedef __typeof__(&sd_bus_message_unref) hk_sd_bus_message_unref_fn;
typedef __typeof__(&sd_bus_message_append_basic) hk_sd_bus_message_append_basic_fn;
typedef __typeof__(&sd_bus_message_append_array) hk_sd_bus_message_append_array_fn;
typedef __typeof__(&sd_bus_message_open_container) hk_sd_bus_message_open_container_fn;
typedef __typeof__(&sd_bus_message_close_container) hk_sd_bus_message_close_container_fn;
typedef __typeof__(&sd_bus_message_enter_container) hk_sd_bus_message_enter_container_fn;
typedef __typeof__(&sd_bus_message_read_basic) hk_sd_bus_message_read_basic_fn;
typedef __typeof__(&sd_bus_error_free) hk_sd_bus_error_free_fn;
typedef __typeof__(&sd_bus_slot_unref) hk_sd_bus_slot_unref_fn;
