// JSONValue: a Sendable JSON tree. Case files (YAML), config.json, state output and probe reports all
// become JSONValue, so mutations and matchers work on one type and can cross threads.
import Foundation

public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// From what JSONSerialization or Yams produced. Yams gives [AnyHashable: Any] for mappings.
  public init?(any value: Any?) {
    guard let value else {
      self = .null
      return
    }
    switch value {
    case is NSNull: self = .null
    // Swift types first (Yams); then NSNumber (JSONSerialization), whose booleans say "c" as objCType.
    case let b as Bool where type(of: value) == Bool.self: self = .bool(b)
    case let i as Int where type(of: value) == Int.self: self = .number(Double(i))
    case let d as Double where type(of: value) == Double.self: self = .number(d)
    case let s as String: self = .string(s)
    case let n as NSNumber:
      self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
    case let a as [Any]:
      var items: [JSONValue] = []
      for element in a {
        guard let v = JSONValue(any: element) else { return nil }
        items.append(v)
      }
      self = .array(items)
    case let o as [String: Any]:
      var fields: [String: JSONValue] = [:]
      for (k, v) in o {
        guard let j = JSONValue(any: v) else { return nil }
        fields[k] = j
      }
      self = .object(fields)
    case let o as [AnyHashable: Any]:
      var fields: [String: JSONValue] = [:]
      for (k, v) in o {
        guard let j = JSONValue(any: v) else { return nil }
        fields["\(k.base)"] = j
      }
      self = .object(fields)
    default: return nil
    }
  }

  /// Parse JSON text; nil when it is not JSON.
  public static func parse(_ text: String) -> JSONValue? {
    guard let data = text.data(using: .utf8),
      let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    else { return nil }
    return JSONValue(any: any)
  }

  public var anyValue: Any {
    switch self {
    case .null: return NSNull()
    case .bool(let b): return b
    case .number(let n): return n == n.rounded() && abs(n) < 9.0e15 ? Int64(n) as Any : n as Any
    case .string(let s): return s
    case .array(let a): return a.map(\.anyValue)
    case .object(let o): return o.mapValues(\.anyValue)
    }
  }

  /// Compact JSON with sorted keys: deterministic reports and config files.
  public func serialized(pretty: Bool = false) -> String {
    var options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]
    if pretty { options.insert(.prettyPrinted) }
    guard let data = try? JSONSerialization.data(withJSONObject: anyValue, options: options) else { return "null" }
    return String(decoding: data, as: UTF8.self)
  }

  /// The value as text for messages and loose comparisons: strings bare, integers without ".0".
  public var text: String {
    switch self {
    case .string(let s): return s
    case .number(let n): return n == n.rounded() && abs(n) < 9.0e15 ? String(Int64(n)) : String(n)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    default: return serialized()
    }
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }
  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }
  public var objectValue: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }
  public var numberValue: Double? {
    switch self {
    case .number(let n): return n
    case .string(let s): return Double(s)
    default: return nil
    }
  }
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  public subscript(key: String) -> JSONValue? { objectValue?[key] }

  /// Replace every "{{name}}" in strings with its value; a string that is exactly one placeholder whose
  /// value is a number becomes that number, so `gt: "{{hostPid}}"` compares numerically.
  public func substituting(_ values: [String: String]) -> JSONValue {
    switch self {
    case .string(let s):
      guard s.contains("{{") else { return self }
      var out = s
      for (k, v) in values { out = out.replacingOccurrences(of: "{{\(k)}}", with: v) }
      return .string(out)
    case .array(let a): return .array(a.map { $0.substituting(values) })
    case .object(let o): return .object(o.mapValues { $0.substituting(values) })
    default: return self
    }
  }
}
