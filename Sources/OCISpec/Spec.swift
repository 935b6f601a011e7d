// config.md: the whole config.json. `Spec.parse` is what `hull create` calls once;
// the planner then reads only this model, never the JSON again.

public struct Spec: Sendable {
  public var ociVersion: String
  public var process: Process?
  public var root: Root?
  public var hostname: String?
  public var domainname: String?
  public var mounts: [Mount]
  public var hooks: Hooks?
  /// In document order.
  public var annotations: [(key: String, value: String)]
  public var linux: Linux?
  /// Non-fatal findings from mapping (unknown capability names, relative mount
  /// destinations, deprecated fields), for the runtime to log.
  public var warnings: [String]

  public init(
    ociVersion: String = supportedOCIVersionMax, process: Process? = nil, root: Root? = nil,
    hostname: String? = nil, domainname: String? = nil, mounts: [Mount] = [], hooks: Hooks? = nil,
    annotations: [(key: String, value: String)] = [], linux: Linux? = nil
  ) {
    self.ociVersion = ociVersion
    self.process = process
    self.root = root
    self.hostname = hostname
    self.domainname = domainname
    self.mounts = mounts
    self.hooks = hooks
    self.annotations = annotations
    self.linux = linux
    self.warnings = []
  }

  /// Parses, maps and validates config.json bytes.
  public static func parse(_ bytes: [UInt8]) throws(SpecError) -> Spec {
    let value: JSONValue
    do throws(JSONError) { value = try JSON.parse(bytes) } catch { throw SpecError.json(error) }
    let spec = try Spec(json: value)
    try spec.validate()
    return spec
  }

  /// Maps a parsed document without validating it (types and required members only).
  public init(json: JSONValue) throws(SpecError) {
    guard case .object = json else {
      throw SpecError(path: "", reason: "expected a JSON object at the top level, got \(json.kindDescription)")
    }
    let f = try Fields(json, path: "")
    ociVersion = try f.string("ociVersion") ?? ""
    process = try f.value("process").map { (v) throws(SpecError) in try Process(json: v) }
    root = try f.object("root").map { (r) throws(SpecError) in try Root(r) }
    hostname = try f.string("hostname")
    domainname = try f.string("domainname")
    mounts = try f.objects("mounts", Mount.init)
    hooks = try f.object("hooks").map { (h) throws(SpecError) in try Hooks(h) }
    annotations = try f.stringMap("annotations")
    linux = try f.object("linux").map { (l) throws(SpecError) in try Linux(l) }
    warnings = []
    collectWarnings()
  }

  /// The value of an annotation, if present.
  public func annotation(_ key: String) -> String? {
    for a in annotations where a.key == key { return a.value }
    return nil
  }

  mutating func collectWarnings() {
    if let caps = process?.capabilities {
      var found: [String] = []
      caps.forEachSet { (set, names) in
        for (i, name) in names.enumerated() where isCapabilitySyntax(name) && !knownCapabilities.contains(name) {
          // Spec 1.1+: unknown capabilities are not an error, so a newer kernel's names still load.
          found.append("process.capabilities.\(set)[\(i)]: unknown capability \(JSON.quote(name)) is ignored")
        }
      }
      warnings += found
    }
    for (i, m) in mounts.enumerated() where !m.destination.hasPrefix("/") {
      warnings.append(
        "mounts[\(i)].destination: \(JSON.quote(m.destination)) is not absolute; taken as relative to the container's /"
      )
    }
    if linux?.resources?.memory?.kernel != nil {
      warnings.append("linux.resources.memory.kernel: deprecated and ignored by kernels since 5.4")
    }
  }
}
