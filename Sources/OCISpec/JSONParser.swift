// A strict RFC 8259 parser working on bytes in one pass. It sits on hull's start path
// (config.json is read on every `create`), so it avoids Foundation, copies string
// bytes once, and never recurses deeper than `maxDepth` (hostile input must give an
// error, not a stack overflow).

public enum JSON {
  /// Containers nested deeper than this are rejected.
  public static let maxDepth = 256

  public static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
    // withUnsafeBufferPointer cannot forward a typed error, so carry it out by hand.
    let result: Result<JSONValue, JSONError> = bytes.withUnsafeBufferPointer { buf in
      var p = Parser(buf)
      do throws(JSONError) { return .success(try p.parseDocument()) } catch { return .failure(error) }
    }
    return try result.get()
  }

  public static func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
    var p = Parser(buffer.assumingMemoryBound(to: UInt8.self))
    return try p.parseDocument()
  }

  public static func parse(_ text: String) throws(JSONError) -> JSONValue {
    var text = text
    let result: Result<JSONValue, JSONError> = text.withUTF8 { buf in
      var p = Parser(buf)
      do throws(JSONError) { return .success(try p.parseDocument()) } catch { return .failure(error) }
    }
    return try result.get()
  }
}

private struct Parser {
  let buf: UnsafeBufferPointer<UInt8>
  var pos = 0
  var depth = 0
  /// Reused for strings with escapes, so unescaping allocates once per document.
  var scratch: [UInt8] = []

  init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

  // MARK: errors

  func error(_ reason: String, at offset: Int? = nil) -> JSONError {
    let off = min(offset ?? pos, buf.count)
    var line = 1
    var column = 1
    for i in 0..<off {
      let b = buf[i]
      if b == 0x0A {
        line += 1
        column = 1
      } else if b & 0xC0 != 0x80 {  // count scalars: skip UTF-8 continuation bytes
        column += 1
      }
    }
    return JSONError(offset: off, line: line, column: column, reason: reason)
  }

  /// "expected X, found Y": the expectation first, as the reader looks for it.
  func unexpected(_ expected: String) -> JSONError {
    guard pos < buf.count else { return error("\(expected), found end of input") }
    return error("\(expected), found \(describe(buf[pos]))")
  }

  func describe(_ b: UInt8) -> String {
    if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
    return "byte 0x" + String(b, radix: 16, uppercase: true)
  }

  // MARK: structure

  mutating func parseDocument() throws(JSONError) -> JSONValue {
    // RFC 8259 §8.1 lets a parser ignore a UTF-8 byte order mark.
    if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    if pos < buf.count { throw error("unexpected \(describe(buf[pos])) after the JSON value") }
    return value
  }

  @inline(__always) mutating func skipWhitespace() {
    while pos < buf.count {
      switch buf[pos] {
      case 0x20, 0x0A, 0x0D, 0x09: pos += 1
      default: return
      }
    }
  }

  mutating func parseValue() throws(JSONError) -> JSONValue {
    guard pos < buf.count else { throw unexpected("expected a JSON value") }
    switch buf[pos] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    case UInt8(ascii: "/"): throw error("comments are not allowed in JSON")
    case UInt8(ascii: "N"), UInt8(ascii: "I"): throw error("NaN and Infinity are not valid JSON numbers")
    case UInt8(ascii: "'"): throw error("strings must use double quotes")
    default: throw unexpected("expected a JSON value")
    }
  }

  mutating func literal(_ word: StaticString) throws(JSONError) {
    let start = pos
    let n = word.utf8CodeUnitCount
    let w = word.utf8Start
    var i = 0
    while i < n {
      guard pos + i < buf.count, buf[pos + i] == w[i] else {
        throw error("invalid literal, expected '\(word)'", at: start)
      }
      i += 1
    }
    pos += n
  }

  mutating func enter() throws(JSONError) {
    depth += 1
    if depth > JSON.maxDepth { throw error("nesting deeper than \(JSON.maxDepth) levels") }
  }

  mutating func parseArray() throws(JSONError) -> JSONValue {
    try enter()
    pos += 1  // '['
    var items: [JSONValue] = []
    skipWhitespace()
    if pos < buf.count && buf[pos] == UInt8(ascii: "]") {
      pos += 1
      depth -= 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      if pos < buf.count && buf[pos] == UInt8(ascii: "]") { throw error("trailing comma in array") }
      items.append(try parseValue())
      skipWhitespace()
      guard pos < buf.count else { throw unexpected("expected ',' or ']' after array element") }
      let c = buf[pos]
      pos += 1
      if c == UInt8(ascii: ",") { continue }
      if c == UInt8(ascii: "]") { break }
      pos -= 1
      throw unexpected("expected ',' or ']' after array element")
    }
    depth -= 1
    return .array(items)
  }

  mutating func parseObject() throws(JSONError) -> JSONValue {
    try enter()
    pos += 1  // '{'
    var entries: [(key: String, value: JSONValue)] = []
    // Built only for large objects: keeps duplicate detection linear overall.
    var index: [String: Int]? = nil
    skipWhitespace()
    if pos < buf.count && buf[pos] == UInt8(ascii: "}") {
      pos += 1
      depth -= 1
      return .object(JSONObject(entries))
    }
    while true {
      skipWhitespace()
      guard pos < buf.count else { throw unexpected("expected an object key") }
      if buf[pos] != UInt8(ascii: "\"") {
        if buf[pos] == UInt8(ascii: "}") { throw error("trailing comma in object") }
        throw unexpected("expected a double-quoted object key")
      }
      let key = try parseString()
      skipWhitespace()
      guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else {
        throw unexpected("expected ':' after object key")
      }
      pos += 1
      skipWhitespace()
      let value = try parseValue()
      // Duplicate keys: the last one wins (what Go's encoding/json does for runc).
      if index == nil && entries.count >= 16 {
        var d = [String: Int](minimumCapacity: 32)
        for (i, e) in entries.enumerated() { d[e.key] = i }
        index = d
      }
      if index != nil {
        if let i = index![key] {
          entries[i].value = value
        } else {
          index![key] = entries.count
          entries.append((key, value))
        }
      } else if let i = entries.firstIndex(where: { $0.key == key }) {
        entries[i].value = value
      } else {
        entries.append((key, value))
      }
      skipWhitespace()
      guard pos < buf.count else { throw unexpected("expected ',' or '}' after object member") }
      let c = buf[pos]
      pos += 1
      if c == UInt8(ascii: ",") { continue }
      if c == UInt8(ascii: "}") { break }
      pos -= 1
      throw unexpected("expected ',' or '}' after object member")
    }
    depth -= 1
    return .object(JSONObject(entries))
  }

  // MARK: strings

  mutating func parseString() throws(JSONError) -> String {
    let start = pos
    pos += 1  // opening quote
    var high: UInt8 = 0  // OR of all bytes: tells whether UTF-8 validation is needed
    // Fast path: no escapes, so the String is made straight from the input bytes.
    while pos < buf.count {
      let b = buf[pos]
      if b == UInt8(ascii: "\"") {
        let slice = UnsafeBufferPointer(rebasing: buf[(start + 1)..<pos])
        pos += 1
        return try makeString(slice, ascii: high < 0x80, start: start)
      }
      if b == UInt8(ascii: "\\") { break }
      if b < 0x20 { throw controlCharacter(b) }
      high |= b
      pos += 1
    }
    guard pos < buf.count else { throw error("unterminated string", at: start) }
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[(start + 1)..<pos]))
    while pos < buf.count {
      let b = buf[pos]
      if b == UInt8(ascii: "\"") {
        pos += 1
        let s: String? = scratch.withUnsafeBufferPointer { sb in
          high < 0x80 ? String(decoding: sb, as: UTF8.self) : String(validating: sb, as: UTF8.self)
        }
        guard let s else { throw error("invalid UTF-8 in string", at: start) }
        return s
      }
      if b < 0x20 { throw controlCharacter(b) }
      if b != UInt8(ascii: "\\") {
        high |= b
        scratch.append(b)
        pos += 1
        continue
      }
      pos += 1
      guard pos < buf.count else { break }
      let e = buf[pos]
      pos += 1
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
      case UInt8(ascii: "b"): scratch.append(0x08)
      case UInt8(ascii: "f"): scratch.append(0x0C)
      case UInt8(ascii: "n"): scratch.append(0x0A)
      case UInt8(ascii: "r"): scratch.append(0x0D)
      case UInt8(ascii: "t"): scratch.append(0x09)
      case UInt8(ascii: "u"): try unicodeEscape()
      default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string", at: pos - 2)
      }
    }
    throw error("unterminated string", at: start)
  }

  func makeString(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool, start: Int) throws(JSONError) -> String {
    if ascii { return String(decoding: bytes, as: UTF8.self) }
    guard let s = String(validating: bytes, as: UTF8.self) else {
      throw error("invalid UTF-8 in string", at: start)
    }
    return s
  }

  func controlCharacter(_ b: UInt8) -> JSONError {
    let hex = String(b, radix: 16, uppercase: true)
    return error("control character U+\(hex.count == 1 ? "000" : "00")\(hex) in string must be escaped")
  }

  mutating func hex4() throws(JSONError) -> UInt32 {
    var v: UInt32 = 0
    for _ in 0..<4 {
      guard pos < buf.count else { throw error("unexpected end of input in \\u escape") }
      let c = buf[pos]
      let d: UInt8
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
      default: throw error("invalid \\u escape: expected 4 hexadecimal digits")
      }
      v = v << 4 | UInt32(d)
      pos += 1
    }
    return v
  }

  /// After "\u": decodes one code point (a surrogate pair counts as one) into scratch.
  mutating func unicodeEscape() throws(JSONError) {
    let escStart = pos - 2
    var cp = try hex4()
    if cp >= 0xDC00 && cp <= 0xDFFF {
      throw error("lone low surrogate \\u\(String(cp, radix: 16, uppercase: true)) in string", at: escStart)
    }
    if cp >= 0xD800 && cp <= 0xDBFF {
      guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
        throw error("lone high surrogate \\u\(String(cp, radix: 16, uppercase: true)) in string", at: escStart)
      }
      pos += 2
      let low = try hex4()
      guard low >= 0xDC00 && low <= 0xDFFF else {
        throw error(
          "high surrogate \\u\(String(cp, radix: 16, uppercase: true)) not followed by a low surrogate", at: escStart)
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
    }
    // Encode as UTF-8 by hand (the scalar is valid by construction).
    if cp < 0x80 {
      scratch.append(UInt8(cp))
    } else if cp < 0x800 {
      scratch.append(UInt8(0xC0 | cp >> 6))
      scratch.append(UInt8(0x80 | cp & 0x3F))
    } else if cp < 0x10000 {
      scratch.append(UInt8(0xE0 | cp >> 12))
      scratch.append(UInt8(0x80 | (cp >> 6) & 0x3F))
      scratch.append(UInt8(0x80 | cp & 0x3F))
    } else {
      scratch.append(UInt8(0xF0 | cp >> 18))
      scratch.append(UInt8(0x80 | (cp >> 12) & 0x3F))
      scratch.append(UInt8(0x80 | (cp >> 6) & 0x3F))
      scratch.append(UInt8(0x80 | cp & 0x3F))
    }
  }

  // MARK: numbers

  mutating func parseNumber() throws(JSONError) -> JSONValue {
    let start = pos
    let negative = buf[pos] == UInt8(ascii: "-")
    if negative { pos += 1 }
    guard pos < buf.count, isDigit(buf[pos]) else {
      throw unexpected("expected a digit after '-'")
    }
    var magnitude: UInt64 = 0
    var overflow = false
    if buf[pos] == UInt8(ascii: "0") {
      pos += 1
      if pos < buf.count && isDigit(buf[pos]) { throw error("leading zeros are not allowed in numbers", at: start) }
    } else {
      while pos < buf.count && isDigit(buf[pos]) {
        let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (m2, o2) = m1.addingReportingOverflow(UInt64(buf[pos] - UInt8(ascii: "0")))
        overflow = overflow || o1 || o2
        magnitude = m2
        pos += 1
      }
    }
    var integral = true
    if pos < buf.count && buf[pos] == UInt8(ascii: ".") {
      integral = false
      pos += 1
      guard pos < buf.count, isDigit(buf[pos]) else { throw unexpected("expected a digit after the decimal point") }
      while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
    }
    if pos < buf.count && (buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E")) {
      integral = false
      pos += 1
      if pos < buf.count && (buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-")) { pos += 1 }
      guard pos < buf.count, isDigit(buf[pos]) else { throw unexpected("expected a digit in the exponent") }
      while pos < buf.count && isDigit(buf[pos]) { pos += 1 }
    }
    if integral && !overflow {
      if !negative {
        if magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        return .uint(magnitude)
      }
      if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
      if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
    }
    // The grammar is already checked, so the stdlib's correctly rounded strtod applies.
    let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
    guard let d = Double(text), d.isFinite else {
      throw error("number \(text) is out of range", at: start)
    }
    return .double(d)
  }

  @inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
}
