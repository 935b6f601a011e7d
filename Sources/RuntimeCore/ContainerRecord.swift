import LinuxKit
import OCISpec

/// What hull keeps about one container in <root>/<id>/state.json.
public struct ContainerRecord: Sendable {
  public var id: String
  public var pid: Int32
  /// /proc/PID/stat start time of the init: tells the init from a process reusing its pid.
  public var initStartTime: UInt64
  public var bundle: String
  public var rootfs: String
  public var created: String
  public var owner: String
  public var ociVersion: String
  public var annotations: [(key: String, value: String)]
  public var cgroupPath: String
  /// Cgroup directories hull created (parents first); delete removes these and nothing else.
  public var cgroupCreated: [String]
  /// `start` released the init. Kept as a marker file beside state.json: creating it is
  /// atomic and cheaper than rewriting the state (see StateStore.markStarted).
  public var started: Bool
  public var poststart: [Hook]
  public var poststop: [Hook]
  /// Created with --no-new-keyring: exec'd processes keep their caller's session keyring too.
  public var noNewKeyring = false
  /// --systemd-cgroup: the systemd unit holding the cgroup ("" for cgroupfs), and whether it
  /// is the user's own manager's. Named before the unit is started, so that `delete --force`
  /// stops it after a create killed at any point.
  public var systemdUnit = ""
  public var systemdUser = false

  public func json() -> String {
    var o = JSONObject()
    o["id"] = .string(id)
    o["pid"] = .int(Int64(pid))
    o["initStartTime"] = .uint(initStartTime)
    o["bundle"] = .string(bundle)
    o["rootfs"] = .string(rootfs)
    o["created"] = .string(created)
    o["owner"] = .string(owner)
    o["ociVersion"] = .string(ociVersion)
    o["annotations"] = .object(JSONObject(annotations.map { ($0.key, JSONValue.string($0.value)) }))
    o["cgroupPath"] = .string(cgroupPath)
    o["cgroupCreated"] = .array(cgroupCreated.map { .string($0) })
    o["poststart"] = .array(poststart.map(ContainerRecord.hookJSON))
    o["poststop"] = .array(poststop.map(ContainerRecord.hookJSON))
    if noNewKeyring { o["noNewKeyring"] = .bool(true) }
    if !systemdUnit.isEmpty {
      o["systemdUnit"] = .string(systemdUnit)
      if systemdUser { o["systemdUser"] = .bool(true) }
    }
    return JSON.serialize(.object(o))
  }

  static func hookJSON(_ hook: Hook) -> JSONValue {
    var o = JSONObject()
    o["path"] = .string(hook.path)
    o["args"] = .array(hook.args.map { .string($0) })
    if let env = hook.env { o["env"] = .array(env.map { .string($0) }) }
    if let t = hook.timeout { o["timeout"] = .int(Int64(t)) }
    return .object(o)
  }

  static func hook(from value: JSONValue) -> Hook? {
    guard let path = value["path"]?.stringValue else { return nil }
    let args = value["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let env = value["env"]?.arrayValue?.compactMap(\.stringValue)
    return Hook(path: path, args: args, env: env, timeout: value["timeout"]?.int64Value.map { Int($0) })
  }

  public init(json bytes: [UInt8], file: String) throws(RuntimeError) {
    let value: JSONValue
    do { value = try JSON.parse(bytes) } catch {
      throw RuntimeError("read state", file, reason: "corrupt state file: \(error)")
    }
    func string(_ key: String) -> String { value[key]?.stringValue ?? "" }
    id = string("id")
    pid = Int32(truncatingIfNeeded: value["pid"]?.int64Value ?? 0)
    switch value["initStartTime"] {
    case .int(let v)?: initStartTime = UInt64(max(0, v))
    case .uint(let v)?: initStartTime = v
    default: initStartTime = 0
    }
    bundle = string("bundle")
    rootfs = string("rootfs")
    created = string("created")
    owner = string("owner")
    ociVersion = string("ociVersion")
    annotations =
      value["annotations"]?.objectValue?.entries.compactMap { entry in
        entry.value.stringValue.map { (entry.key, $0) }
      } ?? []
    cgroupPath = string("cgroupPath")
    cgroupCreated = value["cgroupCreated"]?.arrayValue?.compactMap(\.stringValue) ?? []
    started = false  // from the `started` marker file, see StateStore.load
    poststart = value["poststart"]?.arrayValue?.compactMap(ContainerRecord.hook) ?? []
    poststop = value["poststop"]?.arrayValue?.compactMap(ContainerRecord.hook) ?? []
    noNewKeyring = value["noNewKeyring"] == .bool(true)
    systemdUnit = string("systemdUnit")
    systemdUser = value["systemdUser"] == .bool(true)
    if id.isEmpty { throw RuntimeError("read state", file, reason: "corrupt state file: no id") }
  }

  /// pid, init start time, cgroup path and the cgroup directories hull created (absolute
  /// paths), then the systemd unit if any ("systemd:NAME" or "systemd-user:NAME"),
  /// NUL-separated (no path holds a NUL): StateStore's fallback for a damaged state.json.
  func essentials() -> [UInt8] {
    let unit = systemdUnit.isEmpty ? [] : [(systemdUser ? "systemd-user:" : "systemd:") + systemdUnit]
    return Array(
      ([String(pid), String(initStartTime), cgroupPath] + cgroupCreated + unit).joined(separator: "\u{0}").utf8)
  }

  init?(id: String, essentials bytes: [UInt8]) {
    let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard fields.count >= 3, let pid = Int32(fields[0]), pid > 0, let start = UInt64(fields[1]) else { return nil }
    self.init(
      id: id, pid: pid, initStartTime: start, bundle: "", rootfs: "", created: "", owner: "", ociVersion: "",
      annotations: [], cgroupPath: fields[2], cgroupCreated: fields[3...].filter { $0.hasPrefix("/") }, started: false,
      poststart: [], poststop: [])
    for field in fields[3...] {
      if field.hasPrefix("systemd:") { systemdUnit = String(field.dropFirst(8)) }
      if field.hasPrefix("systemd-user:") { (systemdUnit, systemdUser) = (String(field.dropFirst(13)), true) }
    }
  }

  public init(
    id: String, pid: Int32, initStartTime: UInt64, bundle: String, rootfs: String, created: String, owner: String,
    ociVersion: String, annotations: [(key: String, value: String)], cgroupPath: String, cgroupCreated: [String],
    started: Bool, poststart: [Hook], poststop: [Hook]
  ) {
    self.id = id
    self.pid = pid
    self.initStartTime = initStartTime
    self.bundle = bundle
    self.rootfs = rootfs
    self.created = created
    self.owner = owner
    self.ociVersion = ociVersion
    self.annotations = annotations
    self.cgroupPath = cgroupPath
    self.cgroupCreated = cgroupCreated
    self.started = started
    self.poststart = poststart
    self.poststop = poststop
  }
}
