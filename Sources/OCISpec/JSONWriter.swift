// Writes JSON for `hull state`, `hull features`, `hull spec` and the state store.
// Output is built as bytes and turned into a String once.

extension JSON {
  /// Compact by default; `pretty` indents by two spaces like `runc state`.
  public static func serialize(_ value: JSONValue, pretty: Bool = false) -> String {
    serialize(value, indent: pretty ? "  " : nil)
  }

  /// `indent` nil means compact; otherwise one level of indentation (e.g. "\t", as `runc spec` uses).
  static func serialize(_ value: JSONValue, indent: String?) -> String {
    var w = Writer(indent: indent.map { Array($0.utf8) })
    w.out.reserveCapacity(256)
    w.write(value, level: 0)
    return String(decoding: w.out, as: UTF8.self)
  }

  /// `s` as a JSON string literal, quotes included.
  public static func quote(_ s: String) -> String {
    var w = Writer(indent: nil)
    w.writeString(s)
    return String(decoding: w.out, as: UTF8.self)
  }
}

private struct Writer {
  var out: [UInt8] = []
  let indent: [UInt8]?

  init(indent: [UInt8]?) { self.indent = indent }

  mutating func newline(_ level: Int) {
    guard let indent else { return }
    out.append(0x0A)
    for _ in 0..<level { out.append(contentsOf: indent) }
  }

  mutating func ascii(_ s: StaticString) {
    out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }

  mutating func write(_ value: JSONValue, level: Int) {
    switch value {
    case .null: ascii("null")
    case .bool(let b): if b { ascii("true") } else { ascii("false") }
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .uint(let u): out.append(contentsOf: String(u).utf8)
    case .double(let d): writeDouble(d)
    case .string(let s): writeString(s)
    case .array(let items):
      if items.isEmpty {
        ascii("[]")
        return
      }
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        newline(level + 1)
        write(item, level: level + 1)
      }
      newline(level)
      out.append(UInt8(ascii: "]"))
    case .object(let obj):
      if obj.entries.isEmpty {
        ascii("{}")
        return
      }
      out.append(UInt8(ascii: "{"))
      for (i, e) in obj.entries.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        newline(level + 1)
        writeString(e.key)
        out.append(UInt8(ascii: ":"))
        if indent != nil { out.append(0x20) }
        write(e.value, level: level + 1)
      }
      newline(level)
      out.append(UInt8(ascii: "}"))
    }
  }

  mutating func writeDouble(_ d: Double) {
    // JSON has no NaN or infinity; null is what JavaScript's JSON.stringify writes.
    guard d.isFinite else {
      ascii("null")
      return
    }
    // Swift's description is the shortest round-tripping form ("0.1", "1e+16", "3.0"),
    // all of which are valid JSON numbers.
    out.append(contentsOf: d.description.utf8)
  }

  mutating func writeString(_ s: String) {
    out.append(UInt8(ascii: "\""))
    for b in s.utf8 {
      switch b {
      case UInt8(ascii: "\""): ascii("\\\"")
      case UInt8(ascii: "\\"): ascii("\\\\")
      case 0x0A: ascii("\\n")
      case 0x0D: ascii("\\r")
      case 0x09: ascii("\\t")
      case 0x08: ascii("\\b")
      case 0x0C: ascii("\\f")
      case 0..<0x20:
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        ascii("\\u00")
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 0xF)])
      default: out.append(b)  // UTF-8 passes through: Swift strings are valid UTF-8
      }
    }
    out.append(UInt8(ascii: "\""))
  }
}
