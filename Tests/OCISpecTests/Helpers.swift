@testable import OCISpec

/// Parses a test document that is known to be valid JSON.
func json(_ text: String) -> JSONValue {
  do { return try JSON.parse(text) } catch { fatalError("test JSON does not parse: \(error)\n\(text)") }
}

/// The JSON error for `text`, nil when it parses.
func jsonError(_ text: String) -> JSONError? {
  do {
    _ = try JSON.parse(text)
    return nil
  } catch { return error }
}

func jsonError(bytes: [UInt8]) -> JSONError? {
  do {
    _ = try JSON.parse(bytes)
    return nil
  } catch { return error }
}

/// The error of parse + map + validate, nil when the config is accepted.
func specError(_ value: JSONValue) -> SpecError? {
  specError(bytes: Array(JSON.serialize(value).utf8))
}

func specError(bytes: [UInt8]) -> SpecError? {
  do {
    _ = try Spec.parse(bytes)
    return nil
  } catch { return error }
}

/// The default `hull spec` document, the base that validation tests mutate.
let baseSpec: JSONValue = DefaultSpec.value(rootless: false)

/// `value` with the member at `path` ("process.rlimits[0].type") replaced, or
/// removed when `new` is nil. Missing intermediate objects are created.
func setting(_ value: JSONValue, _ path: String, _ new: JSONValue?) -> JSONValue {
  var comps: [Component] = []
  for part in path.split(separator: ".") {
    var rest = Substring(part)
    if let b = rest.firstIndex(of: "[") {
      if b > rest.startIndex { comps.append(.key(String(rest[..<b]))) }
      rest = rest[b...]
      while rest.first == "[" {
        let close = rest.firstIndex(of: "]")!
        comps.append(.index(Int(rest[rest.index(after: rest.startIndex)..<close])!))
        rest = rest[rest.index(after: close)...]
      }
    } else {
      comps.append(.key(String(rest)))
    }
  }
  return set(value, comps[...], new)
}

enum Component {
  case key(String)
  case index(Int)
}

private func set(_ value: JSONValue, _ comps: ArraySlice<Component>, _ new: JSONValue?) -> JSONValue {
  guard let first = comps.first else { return new ?? .null }
  switch first {
  case .key(let k):
    var o = value.objectValue ?? JSONObject()
    if comps.count == 1 {
      o[k] = new
    } else {
      o[k] = set(o[k] ?? .object(JSONObject()), comps.dropFirst(), new)
    }
    return .object(o)
  case .index(let i):
    var a = value.arrayValue ?? []
    while a.count <= i { a.append(.object(JSONObject())) }
    if comps.count == 1, new == nil {
      a.remove(at: i)
    } else {
      a[i] = set(a[i], comps.dropFirst(), new)
    }
    return .array(a)
  }
}

/// Applies several edits in order.
func setting(_ value: JSONValue, _ edits: [(String, JSONValue?)]) -> JSONValue {
  edits.reduce(value) { setting($0, $1.0, $1.1) }
}
