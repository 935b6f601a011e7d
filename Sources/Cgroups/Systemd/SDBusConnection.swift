import CSystemd
import Glibc
import LinuxKit

/// A connection to a systemd manager through sd-bus (see LibSystemd), one per process.
///
/// Which bus: the manager's private socket first (/run/systemd/private for root,
/// $XDG_RUNTIME_DIR/systemd/private for a user's manager), which is what systemctl uses and
/// needs no D-Bus daemon; else the system bus (sd_bus_open_system) or the user's session bus
/// (sd_bus_open_user: $DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus). JobRemoved signals are
/// matched from the start, so a job that ends before its call returns is not missed.
final class SDBusConnection: SystemdBus, @unchecked Sendable {
  private let lib: LibSystemd
  private let bus: OpaquePointer
  private let jobs: JobLog
  /// Which bus this is, for error messages.
  let address: String

  /// Jobs seen in JobRemoved signals (path → result); the signal callback's userdata.
  final class JobLog {
    let read: hk_sd_bus_message_read_basic_fn
    var removed: [String: String] = [:]
    init(read: @escaping hk_sd_bus_message_read_basic_fn) { self.read = read }
  }

  nonisolated(unsafe) private static var shared: [Bool: SDBusConnection] = [:]

  /// The connection to the system manager, or with `user` to the caller's own manager.
  static func shared(user: Bool) throws(CgroupError) -> SDBusConnection {
    if let connection = shared[user] { return connection }
    let connection = try SDBusConnection(user: user)
    shared[user] = connection
    return connection
  }

  private init(user: Bool) throws(CgroupError) {
    lib = try LibSystemd.load()
    var runtimeDir = ""
    if user {
      runtimeDir = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? ""
      if runtimeDir.isEmpty && getenv("DBUS_SESSION_BUS_ADDRESS") == nil {
        throw CgroupError(
          "connect to the user's systemd manager (rootless --systemd-cgroup)", "", errno: ENOENT,
          detail:
            "neither XDG_RUNTIME_DIR nor DBUS_SESSION_BUS_ADDRESS is set (log in through a session, or `loginctl enable-linger`)"
        )
      }
    }
    let privateSocket = user ? runtimeDir + "/systemd/private" : "/run/systemd/private"
    var handle: OpaquePointer?
    var described = ""
    if !runtimeDir.isEmpty || !user, access(privateSocket, W_OK) == 0 {
      var candidate: OpaquePointer?
      if lib.busNew(&candidate) >= 0, let candidate {
        if lib.busSetAddress(candidate, "unix:path=" + SDBusConnection.escape(privateSocket)) >= 0,
          lib.busStart(candidate) >= 0
        {
          handle = candidate
          described = privateSocket
        } else {
          _ = lib.busFlushCloseUnref(candidate)
        }
      }
    }
    if handle == nil {
      let r = user ? lib.busOpenUser(&handle) : lib.busOpenSystem(&handle)
      described = user ? "the user's session bus" : "the system bus"
      guard r >= 0, handle != nil else {
        let tried = user && runtimeDir.isEmpty ? "" : " (nor systemd's private socket \(privateSocket))"
        throw CgroupError(
          "connect to \(described) (--systemd-cgroup)", "", errno: -r,
          detail: "\(SystemError.describe(-r))\(tried)")
      }
    }
    bus = handle!
    address = described
    jobs = JobLog(read: lib.messageReadBasic)
    // On the private socket messages carry no sender: match on the path and member alone (as systemctl).
    let sender: String? = described == privateSocket ? nil : "org.freedesktop.systemd1"
    let handler: sd_bus_message_handler_t = { message, userdata, _ in
      guard let message, let userdata else { return 0 }
      let log = Unmanaged<JobLog>.fromOpaque(userdata).takeUnretainedValue()
      var id: UInt32 = 0
      var path: UnsafePointer<CChar>?
      var unit: UnsafePointer<CChar>?
      var result: UnsafePointer<CChar>?
      guard log.read(message, CChar(UInt8(ascii: "u")), &id) > 0,
        log.read(message, CChar(UInt8(ascii: "o")), &path) > 0,
        log.read(message, CChar(UInt8(ascii: "s")), &unit) > 0,
        log.read(message, CChar(UInt8(ascii: "s")), &result) > 0,
        let path, let result
      else { return 0 }
      log.removed[String(cString: path)] = String(cString: result)
      return 0
    }
    let userdata = Unmanaged.passUnretained(jobs).toOpaque()
    let r = lib.busMatchSignal(
      bus, nil, sender, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
      handler, userdata)
    if r < 0 {
      _ = lib.busFlushCloseUnref(bus)
      throw CgroupError("systemd: subscribe to JobRemoved on \(described)", "", errno: -r)
    }
  }

  /// D-Bus address escaping: bytes other than [A-Za-z0-9/_.-] as %XX.
  static func escape(_ path: String) -> String {
    var out = ""
    for byte in path.utf8 {
      let plain =
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        || byte == UInt8(ascii: "-")
      out += plain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: false).leftPadded(2)
    }
    return out
  }

  // MARK: calls

  func startTransientUnit(_ name: String, mode: String, properties: [UnitProperty]) throws(CgroupError) -> String {
    try call("StartTransientUnit", unit: name) { m throws(CgroupError) in
      try append(m, .string(name))
      try append(m, .string(mode))
      try appendProperties(m, properties)
      try check(lib.messageOpenContainer(m, type("a"), "(sa(sv))"))  // no auxiliary units
      try check(lib.messageCloseContainer(m))
    } reply: { reply throws(CgroupError) in
      try readString(reply, "o")
    }
  }

  func setUnitProperties(_ name: String, runtime: Bool, properties: [UnitProperty]) throws(CgroupError) {
    _ = try call("SetUnitProperties", unit: name) { m throws(CgroupError) in
      try append(m, .string(name))
      try append(m, .bool(runtime))
      try appendProperties(m, properties)
    } reply: { _ throws(CgroupError) in
      ""
    }
  }

  func stopUnit(_ name: String, mode: String) throws(CgroupError) -> String {
    try call("StopUnit", unit: name) { m throws(CgroupError) in
      try append(m, .string(name))
      try append(m, .string(mode))
    } reply: { reply throws(CgroupError) in
      try readString(reply, "o")
    }
  }

  func resetFailedUnit(_ name: String) throws(CgroupError) {
    _ = try call("ResetFailedUnit", unit: name) { m throws(CgroupError) in
      try append(m, .string(name))
    } reply: { _ throws(CgroupError) in
      ""
    }
  }

  func managerProperty(_ name: String) throws(CgroupError) -> String {
    try call("Get", unit: "", interface: "org.freedesktop.DBus.Properties") { m throws(CgroupError) in
      try append(m, .string("org.freedesktop.systemd1.Manager"))
      try append(m, .string(name))
    } reply: { reply throws(CgroupError) in
      try check(lib.messageEnterContainer(reply, type("v"), "s"))
      return try readString(reply, "s")
    }
  }

  func waitForJob(_ path: String, timeoutMs: Int) throws(CgroupError) -> String {
    let deadline = Int64(Clock.monotonicNanos() / 1_000_000) + Int64(timeoutMs)
    while true {
      if let result = jobs.removed.removeValue(forKey: path) { return result }
      let r = lib.busProcess(bus, nil)
      if r < 0 {
        throw CgroupError(
          "systemd: wait for job", path, errno: -r, detail: "\(SystemError.describe(-r)) (reading \(address))")
      }
      if r > 0 { continue }
      let left = deadline - Int64(Clock.monotonicNanos() / 1_000_000)
      if left <= 0 {
        throw CgroupError(
          "systemd: wait for job", path, errno: ETIMEDOUT, detail: "no JobRemoved signal within \(timeoutMs / 1000) s")
      }
      let w = lib.busWait(bus, UInt64(left) * 1000)
      if w < 0 && w != -EINTR { throw CgroupError("systemd: wait for job", path, errno: -w) }
    }
  }

  // MARK: messages

  private func type(_ c: Character) -> CChar { CChar(c.asciiValue!) }

  private func check(_ r: Int32) throws(CgroupError) {
    if r < 0 { throw CgroupError("systemd: build a D-Bus message", "", errno: -r) }
  }

  /// One method call on the manager: builds the message, sends it, waits for the reply
  /// (sd-bus's default 25 s timeout) and reads it.
  private func call(
    _ method: String, unit: String, interface: String = "org.freedesktop.systemd1.Manager",
    build: (OpaquePointer) throws(CgroupError) -> Void,
    reply read: (OpaquePointer) throws(CgroupError) -> String
  ) throws(CgroupError) -> String {
    var message: OpaquePointer?
    var r = lib.messageNewMethodCall(
      bus, &message, "org.freedesktop.systemd1", "/org/freedesktop/systemd1", interface, method)
    guard r >= 0, let message else { throw CgroupError("systemd \(method)", unit, errno: -r) }
    defer { _ = lib.messageUnref(message) }
    try build(message)
    var error = sd_bus_error(name: nil, message: nil, _need_free: 0)
    var reply: OpaquePointer?
    r = lib.busCall(bus, message, 0, &error, &reply)
    defer { if let reply { _ = lib.messageUnref(reply) } }
    if r < 0 {
      let failure = CgroupError.bus(
        method, unit, errno: -r, name: error.name.map { String(cString: $0) },
        message: error.message.map { String(cString: $0) })
      lib.errorFree(&error)
      throw failure
    }
    guard let reply else { return "" }
    return try read(reply)
  }

  private func readString(_ reply: OpaquePointer, _ kind: Character) throws(CgroupError) -> String {
    var text: UnsafePointer<CChar>?
    let r = lib.messageReadBasic(reply, type(kind), &text)
    guard r > 0, let text else { throw CgroupError("systemd: read the reply", "", errno: r < 0 ? -r : EBADMSG) }
    return String(cString: text)
  }

  /// a(sv): each property a struct of its name and a variant of its value.
  private func appendProperties(_ m: OpaquePointer, _ properties: [UnitProperty]) throws(CgroupError) {
    try check(lib.messageOpenContainer(m, type("a"), "(sv)"))
    for property in properties {
      try check(lib.messageOpenContainer(m, type("r"), "sv"))
      try append(m, .string(property.name))
      try check(lib.messageOpenContainer(m, type("v"), property.value.signature))
      try append(m, property.value)
      try check(lib.messageCloseContainer(m))
      try check(lib.messageCloseContainer(m))
    }
    try check(lib.messageCloseContainer(m))
  }

  private func append(_ m: OpaquePointer, _ value: BusValue) throws(CgroupError) {
    switch value {
    case .bool(let v):
      var b: Int32 = v ? 1 : 0  // sd-bus reads a D-Bus boolean from an int
      try check(lib.messageAppendBasic(m, type("b"), &b))
    case .uint32(var v): try check(lib.messageAppendBasic(m, type("u"), &v))
    case .uint64(var v): try check(lib.messageAppendBasic(m, type("t"), &v))
    case .int64(var v): try check(lib.messageAppendBasic(m, type("x"), &v))
    case .string(let s):
      // A string is passed as the pointer itself, not a pointer to it.
      try check(s.withCString { lib.messageAppendBasic(m, type("s"), $0) })
    case .bytes(let bytes):
      try check(bytes.withUnsafeBytes { lib.messageAppendArray(m, type("y"), $0.baseAddress, $0.count) })
    case .uint32s(let values):
      try check(values.withUnsafeBytes { lib.messageAppendArray(m, type("u"), $0.baseAddress, $0.count) })
    case .strings(let values):
      try check(lib.messageOpenContainer(m, type("a"), "s"))
      for s in values { try append(m, .string(s)) }
      try check(lib.messageCloseContainer(m))
    case .structs(let fields, let rows):
      try check(lib.messageOpenContainer(m, type("a"), "(" + fields + ")"))
      for row in rows {
        try check(lib.messageOpenContainer(m, type("r"), fields))
        for member in row { try append(m, member) }
        try check(lib.messageCloseContainer(m))
      }
      try check(lib.messageCloseContainer(m))
    }
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
