// Matcher: one judgement of an observed value, written in a case file as
//   key.path: value                 shorthand for equals
//   key.path: {equals: x, contains: y, excludes: z, matches: re, absent: true, present: true,
//              lt: n, le: n, gt: n, ge: n, oneOf: [..], length: n, notEquals: x}
// Verdicts are computed here, outside the container, on what the probe or the runtime reported.
import Foundation

public struct Matcher: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case equals, notEquals, contains, excludes, matches, absent, present, lt, le, gt, ge, oneOf, length
  }
  public var kind: Kind
  public var operand: JSONValue

  public init(_ kind: Kind, _ operand: JSONValue) {
    self.kind = kind
    self.operand = operand
  }

  /// nil when the value passes, else a sentence saying what was seen.
  public func failure(for observed: JSONValue?, placeholders: [String: String] = [:]) -> String? {
    let want = operand.substituting(placeholders)
    switch kind {
    case .absent:
      let wantAbsent = want.boolValue ?? true
      let isAbsent = observed == nil || observed == .null
      return isAbsent == wantAbsent
        ? nil : (wantAbsent ? "expected absent, found \(show(observed))" : "expected present, absent")
    case .present:
      let wantPresent = want.boolValue ?? true
      let isPresent = observed != nil && observed != .null
      return isPresent == wantPresent
        ? nil : (wantPresent ? "expected present, absent" : "expected absent, found \(show(observed))")
    default: break
    }
    guard let observed else { return "absent (expected \(kind.rawValue) \(want.text))" }
    switch kind {
    case .equals:
      return Matcher.looselyEqual(observed, want) ? nil : "expected \(want.text), found \(show(observed))"
    case .notEquals:
      return Matcher.looselyEqual(observed, want) ? "expected anything but \(want.text)" : nil
    case .contains, .excludes:
      let wanted = want.arrayValue ?? [want]
      let missing = wanted.filter { !Matcher.contains(observed, $0) }
      let present = wanted.filter { Matcher.contains(observed, $0) }
      if kind == .contains {
        return missing.isEmpty ? nil : "\(show(observed)) lacks \(missing.map(\.text).joined(separator: ", "))"
      }
      return present.isEmpty ? nil : "\(show(observed)) holds \(present.map(\.text).joined(separator: ", "))"
    case .matches:
      let pattern = want.text
      guard let re = try? NSRegularExpression(pattern: pattern) else { return "bad regular expression \(pattern)" }
      let s = observed.text
      let hit = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
      return hit ? nil : "\(show(observed)) does not match /\(pattern)/"
    case .lt, .le, .gt, .ge:
      guard let a = observed.numberValue, let b = want.numberValue else {
        return "cannot compare \(show(observed)) with \(want.text) as numbers"
      }
      let ok = kind == .lt ? a < b : kind == .le ? a <= b : kind == .gt ? a > b : a >= b
      let sign = kind == .lt ? "<" : kind == .le ? "≤" : kind == .gt ? ">" : "≥"
      return ok ? nil : "expected \(sign) \(want.text), found \(show(observed))"
    case .oneOf:
      let options = want.arrayValue ?? [want]
      return options.contains { Matcher.looselyEqual(observed, $0) }
        ? nil
        : "\(show(observed)) is none of \(options.map(\.text).joined(separator: ", "))"
    case .length:
      let count: Int? = observed.arrayValue?.count ?? observed.objectValue?.count ?? observed.stringValue?.count
      guard let count, let n = want.numberValue else { return "\(show(observed)) has no length" }
      return Double(count) == n ? nil : "expected length \(want.text), found \(count)"
    case .absent, .present: return nil
    }
  }

  /// Equal as JSON, or equal as text when the types differ (a probe reports "0022", a case may say 0022).
  static func looselyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if a == b { return true }
    switch (a, b) {
    case (.array, _), (.object, _), (_, .array), (_, .object): return false
    default:
      if let x = a.numberValue, let y = b.numberValue { return x == y }
      return a.text == b.text
    }
  }

  /// An array holds an equal element; a string holds a substring; an object holds a key.
  static func contains(_ container: JSONValue, _ element: JSONValue) -> Bool {
    switch container {
    case .array(let a): return a.contains { looselyEqual($0, element) }
    case .string(let s): return s.contains(element.text)
    case .object(let o): return o[element.text] != nil
    default: return false
    }
  }

  private func show(_ value: JSONValue?) -> String {
    guard let value else { return "nothing" }
    let t = value.text
    return t.count > 160 ? String(t.prefix(160)) + "…" : t
  }
}

/// A key path and the matchers its value must pass.
public struct Check: Sendable, Equatable {
  public var path: KeyPath
  public var matchers: [Matcher]
  public init(path: KeyPath, matchers: [Matcher]) {
    self.path = path
    self.matchers = matchers
  }

  public func failures(in root: JSONValue, placeholders: [String: String] = [:]) -> [String] {
    let observed = path.lookup(in: root)
    return matchers.compactMap { m in m.failure(for: observed, placeholders: placeholders).map { "\(path.text): \($0)" }
    }
  }
}
