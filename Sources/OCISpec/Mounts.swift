// config.md "root" and "mounts", and the id mappings shared with config-linux.md.

public struct Root: Sendable, Equatable {
  /// Absolute, or relative to the bundle directory.
  public var path: String
  public var readonly: Bool
  public init(path: String, readonly: Bool = false) {
    self.path = path
    self.readonly = readonly
  }

  init(_ f: Fields) throws(SpecError) {
    path = try f.string("path") ?? ""
    readonly = try f.bool("readonly") ?? false
  }
}

public struct Mount: Sendable, Equatable {
  public var destination: String
  public var type: String?
  public var source: String?
  public var options: [String]
  /// Id-mapped mount (spec 1.1+).
  public var uidMappings: [IDMapping]
  public var gidMappings: [IDMapping]

  public init(
    destination: String, type: String? = nil, source: String? = nil, options: [String] = [],
    uidMappings: [IDMapping] = [], gidMappings: [IDMapping] = []
  ) {
    self.destination = destination
    self.type = type
    self.source = source
    self.options = options
    self.uidMappings = uidMappings
    self.gidMappings = gidMappings
  }

  init(_ f: Fields) throws(SpecError) {
    destination = try f.requiredString("destination")
    type = try f.string("type")
    source = try f.string("source")
    options = try f.strings("options")
    uidMappings = try f.objects("uidMappings", IDMapping.init)
    gidMappings = try f.objects("gidMappings", IDMapping.init)
  }
}

/// One line of /proc/PID/uid_map or gid_map.
public struct IDMapping: Sendable, Equatable {
  public var containerID: UInt32
  public var hostID: UInt32
  public var size: UInt32
  public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
    self.containerID = containerID
    self.hostID = hostID
    self.size = size
  }

  init(_ f: Fields) throws(SpecError) {
    containerID = try f.requiredInteger("containerID")
    hostID = try f.requiredInteger("hostID")
    size = try f.requiredInteger("size")
  }
}
