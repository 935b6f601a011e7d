// ConfigTree: an OCI config.json held as a mutable JSON tree, for tests and benchmarks to mutate.
import Foundation

/// A path is [ConfigPathComponent], e.g. ["linux", "namespaces", 0, "type"], or a dotted string
/// "linux.namespaces.0.type" (a component of only digits is an index; keys holding dots need the array form).
public enum ConfigPathComponent: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
  CustomStringConvertible
{
  case key(String)
  case index(Int)
  public init(stringLiteral value: String) { self = .key(value) }
  public init(integerLiteral value: Int) { self = .index(value) }
  public var description: String {
    switch self {
    case .key(let k): return k
    case .index(let i): return String(i)
    }
  }
  static func parse(_ dotted: String) -> [ConfigPathComponent] {
    dotted.split(separator: ".").map { part in
      if let i = Int(part), part.allSatisfy(\.isNumber) { return .index(i) }
      return .key(String(part))
    }
  }
}

/// Errors are HarnessError(.kit, operation: "config set|append|remove|read|write", path: the key path or file).
public struct ConfigTree {
  /// JSONSerialization types (String, NSNumber/Bool, [Any], [String: Any], NSNull).
  public var root: [String: Any]

  public init(root: [String: Any]) { self.root = root }

  public init(jsonData: Data) throws {
    guard let object = try? JSONSerialization.jsonObject(with: jsonData) as? [String: Any] else {
      throw HarnessError(.kit, operation: "config read", message: "not a JSON object")
    }
    root = object
  }

  public init(contentsOfFile path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw HarnessError(.kit, operation: "config read", path: path, errno: ENOENT, message: "cannot read file")
    }
    do { try self.init(jsonData: data) } catch {
      throw HarnessError(.kit, operation: "config read", path: path, message: "not a JSON object")
    }
  }

  /// nil when any step is missing.
  public func value(at path: [ConfigPathComponent]) -> Any? {
    var current: Any = root
    for component in path {
      switch component {
      case .key(let key):
        guard let object = current as? [String: Any], let next = object[key] else { return nil }
        current = next
      case .index(let index):
        guard let array = current as? [Any], array.indices.contains(index) else { return nil }
        current = array[index]
      }
    }
    return current
  }
  public func value(at dotted: String) -> Any? { value(at: ConfigPathComponent.parse(dotted)) }

  /// Creates missing objects on the way; an index must exist (or equal the count: append).
  public mutating func set(_ path: [ConfigPathComponent], to value: Any) throws {
    guard !path.isEmpty else {
      guard let object = value as? [String: Any] else {
        throw failure("config set", path, "the root must be an object")
      }
      root = object
      return
    }
    var node: Any = root
    try Self.update(&node, path[...], fullPath: path) { slot in slot = value }
    root = node as! [String: Any]
  }
  public mutating func set(_ dotted: String, to value: Any) throws {
    try set(ConfigPathComponent.parse(dotted), to: value)
  }

  /// Creates the array if missing.
  public mutating func append(_ path: [ConfigPathComponent], _ value: Any) throws {
    let existing = self.value(at: path)
    guard existing == nil || existing is [Any] else { throw failure("config append", path, "not an array") }
    try set(path, to: ((existing as? [Any]) ?? []) + [value])
  }
  public mutating func append(_ dotted: String, _ value: Any) throws {
    try append(ConfigPathComponent.parse(dotted), value)
  }

  /// A missing key is a no-op; a bad index is an error.
  public mutating func remove(_ path: [ConfigPathComponent]) throws {
    guard let last = path.last else { throw failure("config remove", path, "cannot remove the root") }
    let parentPath = Array(path.dropLast())
    guard let parent = parentPath.isEmpty ? root : value(at: parentPath) else { return }
    switch last {
    case .key(let key):
      guard var object = parent as? [String: Any] else {
        throw failure("config remove", path, "parent is not an object")
      }
      object[key] = nil
      if parentPath.isEmpty { root = object } else { try set(parentPath, to: object) }
    case .index(let index):
      guard var array = parent as? [Any], array.indices.contains(index) else {
        throw failure("config remove", path, "no such array element")
      }
      array.remove(at: index)
      try set(parentPath, to: array)
    }
  }
  public mutating func remove(_ dotted: String) throws { try remove(ConfigPathComponent.parse(dotted)) }

  public var args: [String]? { value(at: ["process", "args"]) as? [String] }
  public mutating func setArgs(_ args: [String]) throws { try set(["process", "args"], to: args) }
  public mutating func setCgroupsPath(_ path: String) throws { try set(["linux", "cgroupsPath"], to: path) }

  public func hasNamespace(_ type: String) -> Bool {
    ((value(at: ["linux", "namespaces"]) as? [[String: Any]]) ?? []).contains { $0["type"] as? String == type }
  }
  public mutating func removeNamespace(_ type: String) throws {
    let namespaces = (value(at: ["linux", "namespaces"]) as? [[String: Any]]) ?? []
    try set(["linux", "namespaces"], to: namespaces.filter { $0["type"] as? String != type })
  }

  public func jsonData(pretty: Bool = true) throws -> Data {
    var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
    if pretty { options.insert(.prettyPrinted) }
    do { return try JSONSerialization.data(withJSONObject: root, options: options) } catch {
      throw HarnessError(.kit, operation: "config write", message: "not serialisable as JSON: \(error)")
    }
  }

  public func write(to path: String) throws {
    let data = try jsonData()
    do { try data.write(to: URL(fileURLWithPath: path)) } catch {
      throw HarnessError(.kit, operation: "config write", path: path, message: "\(error)")
    }
  }

  private func failure(_ operation: String, _ path: [ConfigPathComponent], _ message: String) -> HarnessError {
    HarnessError(.kit, operation: operation, path: path.map(\.description).joined(separator: "."), message: message)
  }

  /// Walk down `path` inside `node`, creating missing objects, and apply `change` to the final slot.
  private static func update(
    _ node: inout Any, _ path: ArraySlice<ConfigPathComponent>, fullPath: [ConfigPathComponent],
    _ change: (inout Any) -> Void
  ) throws {
    guard let first = path.first else {
      change(&node)
      return
    }
    let rest = path.dropFirst()
    let where_ = fullPath.map(\.description).joined(separator: ".")
    switch first {
    case .key(let key):
      guard var object = (node as? [String: Any]) ?? (node is NSNull ? [:] : nil) else {
        throw HarnessError(
          .kit, operation: "config set", path: where_, message: "'\(key)' is looked up in a non-object")
      }
      var child: Any =
        object[key]
        ?? (rest.first.map { if case .index = $0 { return [Any]() as Any } else { return [String: Any]() as Any } }
          ?? NSNull())
      try update(&child, rest, fullPath: fullPath, change)
      object[key] = child
      node = object
    case .index(let index):
      guard var array = node as? [Any], index >= 0, index <= array.count else {
        throw HarnessError(
          .kit, operation: "config set", path: where_, message: "index \(index) out of range or not an array")
      }
      var child: Any = index < array.count ? array[index] : [String: Any]()
      try update(&child, rest, fullPath: fullPath, change)
      if index < array.count { array[index] = child } else { array.append(child) }
      node = array
    }
  }
}
