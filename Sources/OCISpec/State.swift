// runtime.md "state": what `hull state` prints and what hooks read on stdin.

public enum ContainerStatus: String, Sendable, CaseIterable {
  case creating, created, running, stopped, paused
}

public struct ContainerState: Sendable {
  public var ociVersion: String
  public var id: String
  public var status: ContainerStatus
  /// 0 once the container has stopped (runc prints 0 then).
  public var pid: Int32
  /// Absolute path of the bundle directory.
  public var bundle: String
  public var annotations: [(key: String, value: String)]
  /// runc's extensions, printed by `runc state` and expected by some engines.
  public var rootfs: String?
  /// RFC 3339 time of creation.
  public var created: String?
  public var owner: String?

  public init(
    ociVersion: String = supportedOCIVersionMax, id: String, status: ContainerStatus, pid: Int32,
    bundle: String, annotations: [(key: String, value: String)] = [], rootfs: String? = nil,
    created: String? = nil, owner: String? = nil
  ) {
    self.ociVersion = ociVersion
    self.id = id
    self.status = status
    self.pid = pid
    self.bundle = bundle
    self.annotations = annotations
    self.rootfs = rootfs
    self.created = created
    self.owner = owner
  }

  public var jsonValue: JSONValue {
    var o = JSONObject([
      ("ociVersion", .string(ociVersion)), ("id", .string(id)), ("status", .string(status.rawValue)),
      ("pid", .int(Int64(pid))), ("bundle", .string(bundle)),
    ])
    // runc omits an empty annotations map (Go omitempty); engines cope with either.
    if !annotations.isEmpty {
      o.entries.append(("annotations", .object(JSONObject(annotations.map { ($0.key, .string($0.value)) }))))
    }
    if let rootfs { o.entries.append(("rootfs", .string(rootfs))) }
    if let created { o.entries.append(("created", .string(created))) }
    if let owner { o.entries.append(("owner", .string(owner))) }
    return .object(o)
  }

  public func json(pretty: Bool = false) -> String { JSON.serialize(jsonValue, pretty: pretty) }

  /// Reads a state document back (the state store, or another runtime's `state`).
  public static func parse(_ bytes: [UInt8]) throws(SpecError) -> ContainerState {
    let value: JSONValue
    do throws(JSONError) { value = try JSON.parse(bytes) } catch { throw SpecError.json(error) }
    let f = try Fields(value, path: "")
    let statusText = try f.requiredString("status")
    guard let status = ContainerStatus(rawValue: statusText) else {
      throw SpecError(path: "status", reason: "unknown status \(JSON.quote(statusText))")
    }
    return ContainerState(
      ociVersion: try f.requiredString("ociVersion"), id: try f.requiredString("id"), status: status,
      pid: try f.integer("pid") ?? 0, bundle: try f.requiredString("bundle"),
      annotations: try f.stringMap("annotations"), rootfs: try f.string("rootfs"),
      created: try f.string("created"), owner: try f.string("owner"))
  }
}
