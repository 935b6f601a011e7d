import CSystemd
import Glibc

/// libsystemd.so.0, opened when the systemd driver first needs the bus: hull is one static
/// executable (Debian has no libsystemd.a), so sd-bus is reached through dlopen (glibc's static
/// dlopen, which needs the same glibc at run time: the one hull was built against) and every
/// function through dlsym, typed by CSystemd from the real prototypes in <systemd/sd-bus.h>.
/// cgroupfs containers never load it.
struct LibSystemd: @unchecked Sendable {
  static let soname = "libsystemd.so.0"

  let busNew: hk_sd_bus_new_fn
  let busSetAddress: hk_sd_bus_set_address_fn
  let busStart: hk_sd_bus_start_fn
  let busOpenSystem: hk_sd_bus_open_system_fn
  let busOpenUser: hk_sd_bus_open_user_fn
  let busFlushCloseUnref: hk_sd_bus_flush_close_unref_fn
  let busMatchSignal: hk_sd_bus_match_signal_fn
  let busProcess: hk_sd_bus_process_fn
  let busWait: hk_sd_bus_wait_fn
  let busCall: hk_sd_bus_call_fn
  let messageNewMethodCall: hk_sd_bus_message_new_method_call_fn
  let messageUnref: hk_sd_bus_message_unref_fn
  let messageAppendBasic: hk_sd_bus_message_append_basic_fn
  let messageAppendArray: hk_sd_bus_message_append_array_fn
  let messageOpenContainer: hk_sd_bus_message_open_container_fn
  let messageCloseContainer: hk_sd_bus_message_close_container_fn
  let messageEnterContainer: hk_sd_bus_message_enter_container_fn
  let messageReadBasic: hk_sd_bus_message_read_basic_fn
  let errorFree: hk_sd_bus_error_free_fn
  let slotUnref: hk_sd_bus_slot_unref_fn

  nonisolated(unsafe) private static var loaded: LibSystemd?

  /// The library, loaded once per process.
  static func load() throws(CgroupError) -> LibSystemd {
    if let loaded { return loaded }
    guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
      // dlerror gives text only; the common cause is a missing package.
      let errno: Int32 = reason.contains("No such file") ? ENOENT : ELIBACC
      throw CgroupError(
        "load \(soname) (the systemd cgroup driver talks to systemd through sd-bus)", "", errno: errno,
        detail: "dlopen: \(reason) (install libsystemd0)")
    }
    func symbol<T>(_ name: String, _: T.Type) throws(CgroupError) -> T {
      guard let address = dlsym(handle, name) else {
        let reason = dlerror().map { String(cString: $0) } ?? "not found"
        throw CgroupError(
          "load \(soname): symbol \(name)", "", errno: ELIBBAD, detail: "dlsym: \(reason) (libsystemd too old?)")
      }
      return unsafeBitCast(address, to: T.self)
    }
    let lib = LibSystemd(
      busNew: try symbol("sd_bus_new", hk_sd_bus_new_fn.self),
      busSetAddress: try symbol("sd_bus_set_address", hk_sd_bus_set_address_fn.self),
      busStart: try symbol("sd_bus_start", hk_sd_bus_start_fn.self),
      busOpenSystem: try symbol("sd_bus_open_system", hk_sd_bus_open_system_fn.self),
      busOpenUser: try symbol("sd_bus_open_user", hk_sd_bus_open_user_fn.self),
      busFlushCloseUnref: try symbol("sd_bus_flush_close_unref", hk_sd_bus_flush_close_unref_fn.self),
      busMatchSignal: try symbol("sd_bus_match_signal", hk_sd_bus_match_signal_fn.self),
      busProcess: try symbol("sd_bus_process", hk_sd_bus_process_fn.self),
      busWait: try symbol("sd_bus_wait", hk_sd_bus_wait_fn.self),
      busCall: try symbol("sd_bus_call", hk_sd_bus_call_fn.self),
      messageNewMethodCall: try symbol("sd_bus_message_new_method_call", hk_sd_bus_message_new_method_call_fn.self),
      messageUnref: try symbol("sd_bus_message_unref", hk_sd_bus_message_unref_fn.self),
      messageAppendBasic: try symbol("sd_bus_message_append_basic", hk_sd_bus_message_append_basic_fn.self),
      messageAppendArray: try symbol("sd_bus_message_append_array", hk_sd_bus_message_append_array_fn.self),
      messageOpenContainer: try symbol("sd_bus_message_open_container", hk_sd_bus_message_open_container_fn.self),
      messageCloseContainer: try symbol("sd_bus_message_close_container", hk_sd_bus_message_close_container_fn.self),
      messageEnterContainer: try symbol("sd_bus_message_enter_container", hk_sd_bus_message_enter_container_fn.self),
      messageReadBasic: try symbol("sd_bus_message_read_basic", hk_sd_bus_message_read_basic_fn.self),
      errorFree: try symbol("sd_bus_error_free", hk_sd_bus_error_free_fn.self),
      slotUnref: try symbol("sd_bus_slot_unref", hk_sd_bus_slot_unref_fn.self))
    loaded = lib
    return lib
  }
}
