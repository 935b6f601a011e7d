// KeyPath: the path syntax shared by mutations (into config.json) and matchers (into observations).
//   process.args            object keys separated by dots
//   process.args[0]         an array index
//   linux.namespaces[type=network].path   the first array element whose field `type` is "network"
//   paths[/proc/kcore].read sysctl[net.ipv4.ip_forward]   a bracketed object key may hold dots and slashes
// Why a bespoke syntax: observation keys are paths and sysctl names, which JSON Pointer or dotted paths
// cannot spell without escapes that make case files hard to read.

import DrydockKit

public enum KeyPathSegment: Sendable, Equatable, CustomStringConvertible {
  case key(String)
  case index(Int)
  case match(field: String, value: String)

  public var description: String {
    switch self {
    case .key(let k): return k
    case .index(let i): return "[\(i)]"
    case .match(let f, let v): return "[\(f)=\(v)]"
    }
  }
}

public struct KeyPath: Sendable, Equatable, CustomStringConvertible {
  public var segments: [KeyPathSegment]
  public var description: String { text }
  public let text: String

  public init(parsing text: String) throws {
    self.text = text
    var segments: [KeyPathSegment] = []
    var current = ""
    var chars = Array(text)[...]
    func flush() {
      if !current.isEmpty {
        segments.append(.key(current))
        current = ""
      }
    }
    while let c = chars.popFirst() {
      switch c {
      case ".": flush()
      case "[":
        flush()
        guard let close = chars.firstIndex(of: "]") else {
          throw HarnessError(.conformance, operation: "parse key path", message: "'\(text)': '[' without ']'")
        }
        let inner = String(chars[chars.startIndex..<close])
        chars = chars[(close + 1)...]
        if let i = Int(inner) {
          segments.append(.index(i))
        } else if let eq = inner.firstIndex(of: "="), !inner.hasPrefix("/") {
          segments.append(.match(field: String(inner[..<eq]), value: String(inner[inner.index(after: eq)...])))
        } else if inner.isEmpty {
          throw HarnessError(.conformance, operation: "parse key path", message: "'\(text)': empty []")
        } else {
          segments.append(.key(inner))
        }
      default: current.append(c)
      }
    }
    flush()
    guard !segments.isEmpty else {
      throw HarnessError(.conformance, operation: "parse key path", message: "empty path")
    }
    self.segments = segments
  }

  /// The value at this path, nil when any step is missing.
  public func lookup(in root: JSONValue) -> JSONValue? {
    var node = root
    for segment in segments {
      guard let next = KeyPath.step(node, segment) else { return nil }
      node = next
    }
    return node
  }

  static func step(_ node: JSONValue, _ segment: KeyPathSegment) -> JSONValue? {
    switch (segment, node) {
    case (.key(let k), .object(let o)): return o[k]
    case (.index(let i), .array(let a)): return a.indices.contains(i) ? a[i] : nil
    case (.match(let f, let v), .array(let a)): return a.first { $0[f]?.text == v }
    default: return nil
    }
  }
}
