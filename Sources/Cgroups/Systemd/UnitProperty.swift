/// One property of a systemd unit as sent over D-Bus: a name and a typed value (systemd
/// checks the type signature of each, e.g. MemoryMax must be "t", a uint64).
public struct UnitProperty: Sendable, Equatable, CustomStringConvertible {
  public var name: String
  public var value: BusValue

  public init(_ name: String, _ value: BusValue) {
    self.name = name
    self.value = value
  }

  public var description: String { "\(name)=\(value)" }
}

/// The D-Bus values the driver sends: the basic types, byte and uint32 arrays, and arrays of
/// structs of basic types (DeviceAllow a(ss), IOReadBandwidthMax a(st)).
public indirect enum BusValue: Sendable, Equatable, CustomStringConvertible {
  case bool(Bool)
  case uint32(UInt32)
  case uint64(UInt64)
  case int64(Int64)
  case string(String)
  /// ay: AllowedCPUs, AllowedMemoryNodes.
  case bytes([UInt8])
  /// au: PIDs.
  case uint32s([UInt32])
  /// as: Wants.
  case strings([String])
  /// a(...): an array of structs whose members have the types of `fields` ("ss", "st").
  case structs(fields: String, [[BusValue]])

  /// The D-Bus type signature.
  public var signature: String {
    switch self {
    case .bool: "b"
    case .uint32: "u"
    case .uint64: "t"
    case .int64: "x"
    case .string: "s"
    case .bytes: "ay"
    case .uint32s: "au"
    case .strings: "as"
    case .structs(let fields, _): "a(\(fields))"
    }
  }

  public var description: String {
    switch self {
    case .bool(let v): "\(v)"
    case .uint32(let v): "\(v)"
    case .uint64(let v): v == UInt64.max ? "infinity" : "\(v)"
    case .int64(let v): "\(v)"
    case .string(let v): "\"\(v)\""
    case .bytes(let v): "[" + v.map { String($0) }.joined(separator: ",") + "]"
    case .uint32s(let v): "[" + v.map { String($0) }.joined(separator: ",") + "]"
    case .strings(let v): "[" + v.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    case .structs(_, let rows):
      "[" + rows.map { "(" + $0.map(\.description).joined(separator: " ") + ")" }.joined(separator: ",") + "]"
    }
  }
}
