// The JSON data model shared by the parser, the writer and the spec mapping.
// Integers keep their exact value (.int / .uint) because the spec carries 64-bit
// limits (rlimits, memory sizes, seccomp argument values) that a Double would round.

/// A JSON value (RFC 8259).
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  /// An integer literal that fits in Int64.
  case int(Int64)
  /// A non-negative integer literal above Int64.max that fits in UInt64.
  case uint(UInt64)
  /// Any other number (fraction, exponent, or an integer beyond UInt64).
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  /// The member named `key` when this is an object, else nil.
  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }

  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The value as Int64 when it is an integer literal in range.
  public var int64Value: Int64? {
    switch self {
    case .int(let v): return v
    case .uint(let v): return Int64(exactly: v)
    default: return nil
    }
  }

  /// "a string", "a number", ...: used in type-mismatch messages.
  public var kindDescription: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .int, .uint, .double: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}

/// A JSON object that keeps member order, so annotations, sysctls and written
/// documents come out in the order they went in. Keys are unique: the parser keeps
/// the last duplicate (in the position of the first), the setter replaces in place.
public struct JSONObject: Sendable, Equatable {
  public var entries: [(key: String, value: JSONValue)]

  public init(_ entries: [(key: String, value: JSONValue)] = []) {
    self.entries = entries
  }

  public var count: Int { entries.count }
  public var isEmpty: Bool { entries.isEmpty }
  public var keys: [String] { entries.map(\.key) }

  /// Linear lookup: config objects have a handful of members, where a scan beats hashing.
  public subscript(key: String) -> JSONValue? {
    get {
      for e in entries where e.key == key { return e.value }
      return nil
    }
    set {
      if let i = entries.firstIndex(where: { $0.key == key }) {
        if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
      } else if let newValue {
        entries.append((key, newValue))
      }
    }
  }

  /// Equal when both hold the same keys with equal values; order is not significant
  /// (RFC 8259 objects are unordered), so a re-ordered document still compares equal.
  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.entries.count == rhs.entries.count else { return false }
    var inOrder = true
    for i in lhs.entries.indices where lhs.entries[i].key != rhs.entries[i].key {
      inOrder = false
      break
    }
    if inOrder {
      for i in lhs.entries.indices where lhs.entries[i].value != rhs.entries[i].value { return false }
      return true
    }
    for e in lhs.entries {
      guard let other = rhs[e.key], other == e.value else { return false }
    }
    return true
  }
}

/// A JSON syntax error with its position (line and column are 1-based; the column
/// counts Unicode scalars, not bytes, so it matches what an editor shows).
public struct JSONError: Error, Sendable, CustomStringConvertible {
  public let offset: Int
  public let line: Int
  public let column: Int
  public let reason: String

  public init(offset: Int, line: Int, column: Int, reason: String) {
    self.offset = offset
    self.line = line
    self.column = column
    self.reason = reason
  }

  public var description: String { "line \(line), column \(column): \(reason)" }
}
