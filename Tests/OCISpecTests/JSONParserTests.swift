import Testing

@testable import OCISpec

@Suite struct JSONParserTests {
  @Test func scalarsAndContainers() throws {
    #expect(try JSON.parse("true") == .bool(true))
    #expect(try JSON.parse("false") == .bool(false))
    #expect(try JSON.parse(" null ") == .null)
    #expect(try JSON.parse("\"hi\"") == .string("hi"))
    #expect(try JSON.parse("[]") == .array([]))
    #expect(try JSON.parse("{}") == .object(JSONObject()))
    #expect(
      try JSON.parse(" \t\r\n[ 1 , \"a\" , { \"k\" : [ null ] } ]\n")
        == .array([.int(1), .string("a"), .object(JSONObject([("k", .array([.null]))]))]))
  }

  @Test(arguments: [
    "0", "-1", "1.5", "-0.25", "1e10", "2.5E-3", "\"\"", "\"\\u00e9\\n\"", "[1,[2,[3,[]]],{}]",
    "{\"a\":{\"b\":{\"c\":[true,false,null]}},\"d\":\"x\"}", "18446744073709551615", "-9223372036854775808",
    "{\"ann\":{\"z\":\"1\",\"a\":\"2\",\"m\":\"3\"}}", "[\"😀\",\"é\",\"\\\"\\\\\\/\\b\\f\\r\\t\"]",
  ])
  func validDocumentsRoundTrip(text: String) throws {
    let v = try JSON.parse(text)
    #expect(try JSON.parse(JSON.serialize(v)) == v)
    #expect(try JSON.parse(JSON.serialize(v, pretty: true)) == v)
  }

  @Test func keyOrderIsKept() throws {
    let v = try JSON.parse(#"{"z":1,"a":2,"m":3}"#)
    #expect(v.objectValue?.keys == ["z", "a", "m"])
    #expect(JSON.serialize(v) == #"{"z":1,"a":2,"m":3}"#)
  }

  @Test func duplicateKeysLastWins() throws {
    let v = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
    #expect(v.objectValue?.count == 2)
    #expect(v["a"] == .int(3))
    #expect(v.objectValue?.keys == ["a", "b"])
    // Past 16 members the parser switches to a hash index; same result.
    var text = "{"
    for i in 0..<40 { text += "\"k\(i % 20)\":\(i)," }
    text += "\"end\":true}"
    let big = try JSON.parse(text)
    #expect(big.objectValue?.count == 21)
    #expect(big["k0"] == .int(20))
    #expect(big["k19"] == .int(39))
  }

  // Every rejection RFC 8259 implies, with the reason a user would see.
  @Test(arguments: [
    ("", "expected a JSON value, found end of input"),
    ("   ", "expected a JSON value"),
    ("[1,]", "trailing comma in array"),
    ("{\"a\":1,}", "trailing comma in object"),
    ("[1 2]", "expected ',' or ']' after array element"),
    ("{\"a\" 1}", "expected ':' after object key"),
    ("{\"a\":1 \"b\":2}", "expected ',' or '}' after object member"),
    ("{a:1}", "expected a double-quoted object key"),
    ("{'a':1}", "expected a double-quoted object key"),
    ("'a'", "strings must use double quotes"),
    ("// comment\n1", "comments are not allowed"),
    ("/* c */ 1", "comments are not allowed"),
    ("[1] // c", "after the JSON value"),
    ("NaN", "NaN and Infinity"),
    ("Infinity", "NaN and Infinity"),
    ("-Infinity", "expected a digit after '-'"),
    ("[nan]", "invalid literal"),
    ("01", "leading zeros"),
    ("-01", "leading zeros"),
    ("00", "leading zeros"),
    ("1.", "expected a digit after the decimal point"),
    (".5", "expected a JSON value"),
    ("1e", "expected a digit in the exponent"),
    ("1e+", "expected a digit in the exponent"),
    ("-", "expected a digit after '-'"),
    ("+1", "expected a JSON value"),
    ("0x10", "after the JSON value"),
    ("1e400", "out of range"),
    ("-1e400", "out of range"),
    ("\"a\u{01}b\"", "control character U+0001"),
    ("\"a\nb\"", "control character U+000A"),
    ("\"\t\"", "control character U+0009"),
    ("\"\\x\"", "invalid escape '\\x'"),
    ("\"\\u12G4\"", "expected 4 hexadecimal digits"),
    ("\"\\u12\"", "expected 4 hexadecimal digits"),
    ("\"\\uD800\"", "lone high surrogate"),
    ("\"\\uD800x\"", "lone high surrogate"),
    ("\"\\uDC00\"", "lone low surrogate"),
    ("\"\\uD800\\u0041\"", "not followed by a low surrogate"),
    ("tru", "invalid literal"),
    ("True", "expected a JSON value"),
    ("nul", "invalid literal"),
    ("[1]]", "after the JSON value"),
    ("1 2", "after the JSON value"),
    ("{\"a\":1}}", "after the JSON value"),
    ("[", "expected a JSON value, found end of input"),
    ("{", "expected an object key, found end of input"),
    ("\"abc", "unterminated string"),
    ("\"abc\\", "unterminated string"),
    ("[1,", "expected a JSON value, found end of input"),
    ("{\"a\":", "expected a JSON value, found end of input"),
    ("{\"a\"", "expected ':' after object key, found end of input"),
    ("[\u{0B}1]", "expected a JSON value"),
    ("[1,\u{A0}2]", "expected a JSON value"),
  ])
  func rejects(text: String, reason: String) {
    let e = jsonError(text)
    #expect(e != nil, "accepted: \(text)")
    #expect(e?.reason.contains(reason) == true, "\(text): got \(e?.description ?? "nil")")
  }

  @Test func rejectsInvalidUTF8() {
    #expect(jsonError(bytes: [0x22, 0xFF, 0x22])?.reason == "invalid UTF-8 in string")
    #expect(jsonError(bytes: [0x22, 0xC3, 0x22])?.reason == "invalid UTF-8 in string")
    // Overlong encoding of '/', and a UTF-8-encoded surrogate: both invalid UTF-8.
    #expect(jsonError(bytes: [0x22, 0xC0, 0xAF, 0x22]) != nil)
    #expect(jsonError(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]) != nil)
    // Also when the string has escapes (the slow path).
    #expect(jsonError(bytes: [0x22, 0x5C, 0x6E, 0xFF, 0x22])?.reason == "invalid UTF-8 in string")
    #expect(jsonError(bytes: [0xFF]) != nil)
  }

  @Test func errorPositions() {
    let e = jsonError("{\n  \"a\": 1,\n  \"b\" 2\n}")
    #expect(e?.line == 3)
    #expect(e?.column == 7)
    #expect(e?.offset == 18)
    #expect(e?.description == "line 3, column 7: expected ':' after object key, found '2'")
    // Columns count characters, not bytes.
    let u = jsonError("[\"é😀\", x]")
    #expect(u?.line == 1)
    #expect(u?.column == 8)
  }

  @Test func escapesAndSurrogatePairs() throws {
    #expect(try JSON.parse(#""\uD83D\uDE00""#) == .string("😀"))
    #expect(try JSON.parse(#""\ud83d\ude00x""#) == .string("😀x"))
    #expect(try JSON.parse(#""\u00e9\u4e2d\u0041""#) == .string("é中A"))
    #expect(try JSON.parse(#""\u0000""#) == .string("\u{0}"))
    #expect(try JSON.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    #expect(try JSON.parse("\"raw é 😀 中\"") == .string("raw é 😀 中"))
    #expect(try JSON.parse(#""a\nb" "#) == .string("a\nb"))
    #expect(try JSON.parse(#"{"k\u0065y":1}"#)["key"] == .int(1))
  }

  @Test func integerEdges() throws {
    #expect(try JSON.parse("9223372036854775807") == .int(Int64.max))
    #expect(try JSON.parse("-9223372036854775808") == .int(Int64.min))
    #expect(try JSON.parse("9223372036854775808") == .uint(UInt64(Int64.max) + 1))
    #expect(try JSON.parse("18446744073709551615") == .uint(UInt64.max))
    #expect(try JSON.parse("18446744073709551616") == .double(18446744073709551616.0))
    #expect(try JSON.parse("-9223372036854775809") == .double(-9223372036854775809.0))
    #expect(try JSON.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
    #expect(try JSON.parse("0") == .int(0))
    #expect(try JSON.parse("-0") == .int(0))
    #expect(try JSON.parse("-0.0") == .double(-0.0))
    #expect(try JSON.parse("1.0") == .double(1.0))
    #expect(try JSON.parse("1E2") == .double(100))
    #expect(try JSON.parse("1e-400") == .double(0))
    #expect(try JSON.parse("0.1") == .double(0.1))
    #expect(try JSON.parse("[-1]") == .array([.int(-1)]))
  }

  @Test func nestingDepth() throws {
    let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
    #expect(jsonError(ok) == nil)
    let tooDeep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
    #expect(jsonError(tooDeep)?.reason == "nesting deeper than 256 levels")
    // Hostile inputs: an error, never a stack overflow.
    #expect(jsonError(String(repeating: "[", count: 10_000))?.reason == "nesting deeper than 256 levels")
    #expect(jsonError(String(repeating: "{\"a\":", count: 10_000))?.reason == "nesting deeper than 256 levels")
    #expect(jsonError(String(repeating: "[{\"a\":", count: 200))?.reason == "nesting deeper than 256 levels")
  }

  @Test func fiveMegabyteDocument() throws {
    var text = "["
    var n = 0
    while text.utf8.count < 5_000_000 {
      if n > 0 { text += "," }
      text += #"{"id":\#(n),"name":"container-\#(n)","ratio":\#(n).5,"tags":["a","b\n"],"on":true,"x":null}"#
      n += 1
    }
    text += "]"
    let v = try JSON.parse(Array(text.utf8))
    let items = try #require(v.arrayValue)
    #expect(items.count == n)
    #expect(items[n - 1]["id"] == .int(Int64(n - 1)))
    #expect(items[7]["tags"] == .array([.string("a"), .string("b\n")]))
    #expect(items[3]["ratio"] == .double(3.5))
  }

  @Test func everyTruncationFails() {
    let text = DefaultSpec.json(rootless: false)
    let bytes = Array(text.utf8)
    #expect(jsonError(bytes: bytes) == nil)
    for cut in 0..<bytes.count where jsonError(bytes: Array(bytes[..<cut])) == nil {
      Issue.record("prefix of \(cut) bytes parsed")
    }
  }

  @Test func otherEntryPoints() throws {
    let bytes: [UInt8] = Array(#"{"a":[1,2]}"#.utf8)
    let raw = try bytes.withUnsafeBytes { try JSON.parse($0) }
    #expect(raw == json(#"{"a":[1,2]}"#))
    // A UTF-8 byte order mark is skipped (RFC 8259 §8.1 allows it).
    #expect(try JSON.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.int(1)]))
  }

  @Test func objectModel() {
    var o = JSONObject([("a", .int(1)), ("b", .int(2))])
    #expect(o == JSONObject([("b", .int(2)), ("a", .int(1))]))  // order is not significant
    #expect(o != JSONObject([("a", .int(1))]))
    #expect(o != JSONObject([("a", .int(1)), ("c", .int(2))]))
    o["a"] = .string("x")
    #expect(o.keys == ["a", "b"])
    #expect(o["a"] == .string("x"))
    o["c"] = .null
    #expect(o.keys == ["a", "b", "c"])
    o["a"] = nil
    #expect(o.keys == ["b", "c"])
    #expect(o["missing"] == nil)
  }
}
