// The typed reading of JSON into the spec model. Every error names the field path
// ("linux.namespaces[1].type") so a user can find the line to fix. Paths are built
// only when descending into a member object or array element, never per leaf field.

/// An invalid config: `path` is the JSON field path ("" for the whole document).
public struct SpecError: Error, Sendable, CustomStringConvertible, Equatable {
  public let path: String
  public let reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }

  static func json(_ e: JSONError) -> SpecError { SpecError(path: "", reason: "invalid JSON: \(e.description)") }
}

/// Joins a path and a member name; the root path is "".
@inline(__always) func join(_ path: String, _ key: String) -> String {
  path.isEmpty ? key : path + "." + key
}

/// Reads the members of one JSON object. JSON null reads as absent, like Go's decoder
/// that produced the configs hull is given. Unknown members are ignored.
struct Fields {
  let object: JSONObject
  let path: String

  init(_ value: JSONValue, path: String) throws(SpecError) {
    guard case .object(let o) = value else {
      throw SpecError(path: path, reason: "expected an object, got \(value.kindDescription)")
    }
    object = o
    self.path = path
  }

  func at(_ key: String) -> String { join(path, key) }

  /// The member's value, nil when absent or null.
  func value(_ key: String) -> JSONValue? {
    for e in object.entries where e.key == key {
      if case .null = e.value { return nil }
      return e.value
    }
    return nil
  }

  func mismatch(_ key: String, _ expected: String, _ got: JSONValue) -> SpecError {
    SpecError(path: at(key), reason: "expected \(expected), got \(got.kindDescription)")
  }

  func required(_ key: String) -> SpecError { SpecError(path: at(key), reason: "required field is missing") }

  func string(_ key: String) throws(SpecError) -> String? {
    guard let v = value(key) else { return nil }
    guard case .string(let s) = v else { throw mismatch(key, "a string", v) }
    return s
  }

  func requiredString(_ key: String) throws(SpecError) -> String {
    guard let s = try string(key) else { throw required(key) }
    return s
  }

  func bool(_ key: String) throws(SpecError) -> Bool? {
    guard let v = value(key) else { return nil }
    guard case .bool(let b) = v else { throw mismatch(key, "a boolean", v) }
    return b
  }

  func integer<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws(SpecError) -> T? {
    guard let v = value(key) else { return nil }
    return try convert(v, path: at(key))
  }

  func requiredInteger<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws(SpecError) -> T {
    guard let v: T = try integer(key) else { throw required(key) }
    return v
  }

  func strings(_ key: String) throws(SpecError) -> [String] {
    guard let v = value(key) else { return [] }
    guard case .array(let items) = v else { throw mismatch(key, "an array of strings", v) }
    var out: [String] = []
    out.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      guard case .string(let s) = item else {
        throw SpecError(path: "\(at(key))[\(i)]", reason: "expected a string, got \(item.kindDescription)")
      }
      out.append(s)
    }
    return out
  }

  func integers<T: FixedWidthInteger>(_ key: String, _: T.Type = T.self) throws(SpecError) -> [T] {
    guard let v = value(key) else { return [] }
    guard case .array(let items) = v else { throw mismatch(key, "an array of integers", v) }
    var out: [T] = []
    for (i, item) in items.enumerated() { out.append(try convert(item, path: "\(at(key))[\(i)]")) }
    return out
  }

  /// A member object, nil when absent.
  func object(_ key: String) throws(SpecError) -> Fields? {
    guard let v = value(key) else { return nil }
    return try Fields(v, path: at(key))
  }

  /// Maps each element of a member array; `map` gets the element and its path.
  func array<T>(_ key: String, _ map: (JSONValue, String) throws(SpecError) -> T) throws(SpecError) -> [T] {
    guard let v = value(key) else { return [] }
    guard case .array(let items) = v else { throw mismatch(key, "an array", v) }
    var out: [T] = []
    out.reserveCapacity(items.count)
    let base = at(key)
    for (i, item) in items.enumerated() { out.append(try map(item, "\(base)[\(i)]")) }
    return out
  }

  /// Maps each element (an object) of a member array.
  func objects<T>(_ key: String, _ map: (Fields) throws(SpecError) -> T) throws(SpecError) -> [T] {
    try array(key) { (v, p) throws(SpecError) in try map(Fields(v, path: p)) }
  }

  /// A string→string object in document order (annotations, sysctl, unified).
  func stringMap(_ key: String) throws(SpecError) -> [(key: String, value: String)] {
    guard let v = value(key) else { return [] }
    guard case .object(let o) = v else { throw mismatch(key, "an object", v) }
    var out: [(key: String, value: String)] = []
    out.reserveCapacity(o.entries.count)
    for e in o.entries {
      guard case .string(let s) = e.value else {
        throw SpecError(path: join(at(key), e.key), reason: "expected a string, got \(e.value.kindDescription)")
      }
      out.append((e.key, s))
    }
    return out
  }

  /// A name→object map in document order (rdma, netDevices).
  func objectMap<T>(_ key: String, _ map: (Fields) throws(SpecError) -> T) throws(SpecError) -> [(
    key: String, value: T
  )] {
    guard let v = value(key) else { return [] }
    guard case .object(let o) = v else { throw mismatch(key, "an object", v) }
    var out: [(key: String, value: T)] = []
    for e in o.entries { out.append((e.key, try map(Fields(e.value, path: join(at(key), e.key))))) }
    return out
  }
}

/// Converts a JSON number to an exact integer type, naming the range on failure.
func convert<T: FixedWidthInteger>(_ v: JSONValue, path: String) throws(SpecError) -> T {
  switch v {
  case .int(let i):
    if let r = T(exactly: i) { return r }
    throw SpecError(path: path, reason: "\(i) is out of range (\(rangeText(T.self)))")
  case .uint(let u):
    if let r = T(exactly: u) { return r }
    throw SpecError(path: path, reason: "\(u) is out of range (\(rangeText(T.self)))")
  case .double(let d):
    // Doubles at or above 2^52 are all integral; below, truncation tells (no libm needed).
    let integral = d.isFinite && (d.magnitude >= 0x1p52 || Double(Int64(d)) == d)
    if integral && T(exactly: d) == nil {
      throw SpecError(path: path, reason: "\(d) is out of range (\(rangeText(T.self)))")
    }
    throw SpecError(path: path, reason: "expected an integer, got \(d)")
  default:
    throw SpecError(path: path, reason: "expected an integer, got \(v.kindDescription)")
  }
}

func rangeText<T: FixedWidthInteger>(_: T.Type) -> String {
  "\(T.isSigned ? "" : "un")signed \(T.bitWidth)-bit integer, \(T.min) to \(T.max)"
}
