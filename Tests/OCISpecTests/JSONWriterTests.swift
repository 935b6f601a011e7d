import Testing

@testable import OCISpec

@Suite struct JSONWriterTests {
  let sample: JSONValue = .object(
    JSONObject([
      ("n", .int(-5)), ("u", .uint(UInt64.max)), ("d", .double(1.5)), ("b", .bool(false)), ("z", .null),
      ("s", .string("a\"b")), ("e", .array([])), ("o", .object(JSONObject())),
      ("l", .array([.int(1), .object(JSONObject([("k", .string("v"))]))])),
    ]))

  @Test func compact() {
    #expect(
      JSON.serialize(sample)
        == #"{"n":-5,"u":18446744073709551615,"d":1.5,"b":false,"z":null,"s":"a\"b","e":[],"o":{},"l":[1,{"k":"v"}]}"#)
  }

  @Test func pretty() {
    let expected = """
      {
        "n": -5,
        "u": 18446744073709551615,
        "d": 1.5,
        "b": false,
        "z": null,
        "s": "a\\"b",
        "e": [],
        "o": {},
        "l": [
          1,
          {
            "k": "v"
          }
        ]
      }
      """
    #expect(JSON.serialize(sample, pretty: true) == expected)
  }

  @Test func numbers() throws {
    #expect(JSON.serialize(.int(0)) == "0")
    #expect(JSON.serialize(.int(1024)) == "1024")  // integers never get ".0"
    #expect(JSON.serialize(.int(Int64.min)) == "-9223372036854775808")
    #expect(JSON.serialize(.double(0.1)) == "0.1")
    #expect(JSON.serialize(.double(1e100)) == "1e+100")
    #expect(JSON.serialize(.double(-2.5e-8)) == "-2.5e-08")
    // Not representable in JSON: written as null rather than producing invalid output.
    #expect(JSON.serialize(.array([.double(.nan), .double(.infinity)])) == "[null,null]")
    for d in [0.1, 1e100, -2.5e-8, 3.0, 123456.789, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude] {
      #expect(try JSON.parse(JSON.serialize(.double(d))) == .double(d))
    }
  }

  @Test func quoting() throws {
    #expect(JSON.quote("plain") == "\"plain\"")
    #expect(JSON.quote("a\"b\\c") == #""a\"b\\c""#)
    #expect(JSON.quote("\n\r\t\u{8}\u{C}") == #""\n\r\t\b\f""#)
    #expect(JSON.quote("\u{0}\u{1F}\u{7F}") == "\"\\u0000\\u001f\u{7F}\"")
    #expect(JSON.quote("é😀/") == "\"é😀/\"")
    // Whatever goes in comes back out.
    let nasty = "\u{0}\u{1}\"\\/\n😀\u{2028}é\u{10FFFF}"
    #expect(try JSON.parse(JSON.quote(nasty)) == .string(nasty))
  }

  @Test func tabIndentForSpec() {
    let v: JSONValue = .object(JSONObject([("a", .array([.int(1)]))]))
    #expect(JSON.serialize(v, indent: "\t") == "{\n\t\"a\": [\n\t\t1\n\t]\n}")
  }
}
