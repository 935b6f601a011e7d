// Mutation: one change to the template config.json, declared by a case file.
//   - set: process.cwd          value: /tmp          creates missing objects on the way
//   - remove: linux.namespaces[type=network]        removes an object key or an array element (absent: no-op)
//   - append: mounts            value: {...}         appends to an array (created when missing)
//   - merge: linux.resources    value: {...}         merges object fields (shallow)
// Values may hold {{placeholders}} (see CaseContext) resolved per run.

import DrydockKit

public struct Mutation: Sendable, Equatable {
  public enum Operation: String, Sendable, CaseIterable { case set, remove, append, merge }
  public var operation: Operation
  public var path: KeyPath
  public var value: JSONValue

  public init(_ operation: Operation, _ path: KeyPath, _ value: JSONValue = .null) {
    self.operation = operation
    self.path = path
    self.value = value
  }

  public func apply(to config: JSONValue, placeholders: [String: String] = [:]) throws -> JSONValue {
    try Mutation.modify(config, path.segments[...], operation, value.substituting(placeholders), path.text)
  }

  public static func apply(
    _ mutations: [Mutation], to config: JSONValue,
    placeholders: [String: String] = [:]
  ) throws -> JSONValue {
    try mutations.reduce(config) { try $1.apply(to: $0, placeholders: placeholders) }
  }

  private static func fail(_ path: String, _ message: String) -> HarnessError {
    HarnessError(.conformance, operation: "mutate config", path: path, message: message)
  }

  private static func modify(
    _ node: JSONValue, _ rest: ArraySlice<KeyPathSegment>, _ op: Operation,
    _ value: JSONValue, _ text: String
  ) throws -> JSONValue {
    guard let segment = rest.first else {
      switch op {
      case .set: return value
      case .append:
        if case .null = node { return .array([value]) }
        guard case .array(let a) = node else { throw fail(text, "append needs an array, found \(node.text)") }
        return .array(a + [value])
      case .merge:
        guard case .object(let add) = value else { throw fail(text, "merge needs an object value") }
        var base = node.objectValue ?? [:]
        for (k, v) in add { base[k] = v }
        return .object(base)
      case .remove: return node  // handled by the parent
      }
    }
    let tail = rest.dropFirst()
    let isLast = tail.isEmpty
    switch (segment, node) {
    case (.key(let k), .object(var o)):
      if op == .remove && (isLast || o[k] == nil) {
        o[k] = nil
        return .object(o)
      }  // removing what is absent: no-op
      o[k] = try modify(o[k] ?? .null, tail, op, value, text)
      return .object(o)
    case (.key(let k), .null):
      if op == .remove { return .null }
      return .object([k: try modify(.null, tail, op, value, text)])
    case (.index(let i), .array(var a)):
      guard a.indices.contains(i) || (i == a.count && op != .remove) else {
        if op == .remove { return node }
        throw fail(text, "index \(i) out of range (\(a.count) elements)")
      }
      if isLast && op == .remove {
        a.remove(at: i)
        return .array(a)
      }
      if i == a.count {
        a.append(try modify(.null, tail, op, value, text))
      } else {
        a[i] = try modify(a[i], tail, op, value, text)
      }
      return .array(a)
    case (.match(let f, let v), .array(var a)):
      guard let i = a.firstIndex(where: { $0[f]?.text == v }) else {
        if op == .remove { return node }
        throw fail(text, "no element with \(f)=\(v)")
      }
      if isLast && op == .remove {
        a.remove(at: i)
        return .array(a)
      }
      a[i] = try modify(a[i], tail, op, value, text)
      return .array(a)
    case (.match, .null):
      if op == .remove { return .null }
      throw fail(text, "no array at \(segment)")
    default:
      throw fail(text, "cannot step into \(node.text.prefix(60)) with \(segment)")
    }
  }
}
