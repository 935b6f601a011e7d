// CaseLoader: reads case files and validates every field, naming the file and the field on error.
import DrydockKit
import Foundation
import Yams

public enum CaseLoader {
  static let caseFields: Set<String> = [
    "id", "summary", "requirement", "needs", "mutate", "probe", "hooks", "helper",
    "agent", "steps", "timeout", "divergence", "symlinks", "systemdCgroup",
  ]
  static let requirementFields: Set<String> = ["doc", "section", "level", "text", "versions"]
  static let stepFields: Set<String> = [
    "do", "container", "id", "signal", "all", "force", "detach", "args",
    "process", "resources", "file", "extraArgs", "ok", "exitCode", "stdout",
    "stderr", "observe", "timeout", "globalArgs", "consoleSocket", "fromFile", "unit",
  ]
  static let probeFields: Set<String> = ["paths", "sysctls", "files", "syscalls", "then"]

  /// Every *.yaml under `directory` (recursively), sorted by id; duplicate ids are an error.
  public static func loadDirectory(_ directory: String) throws -> [ConformanceCase] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else {
      throw HarnessError(.conformance, operation: "load cases", path: directory, message: "not a readable directory")
    }
    let files = (walker.allObjects as? [String] ?? [])
      .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
    var seen: [String: String] = [:]
    var cases: [ConformanceCase] = []
    for relative in files {
      let path = directory + "/" + relative
      let c = try loadFile(path, area: relative.split(separator: "/").dropLast().joined(separator: "/"))
      if let other = seen[c.id] {
        throw HarnessError(
          .conformance, operation: "load case", path: path, message: "id: '\(c.id)' already used by \(other)")
      }
      seen[c.id] = path
      cases.append(c)
    }
    return cases.sorted { $0.id < $1.id }
  }

  public static func loadFile(_ path: String, area: String? = nil) throws -> ConformanceCase {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw HarnessError(.conformance, operation: "load case", path: path, message: "cannot read the file")
    }
    let fileArea = area ?? URL(fileURLWithPath: path).deletingLastPathComponent().lastPathComponent
    return try parse(text, path: path, area: fileArea)
  }

  public static func parse(_ text: String, path: String, area: String) throws -> ConformanceCase {
    func fail(_ field: String, _ message: String) -> HarnessError {
      HarnessError(.conformance, operation: "load case", path: path, message: "\(field): \(message)")
    }
    let any: Any?
    do { any = try Yams.load(yaml: text) } catch {
      throw HarnessError(.conformance, operation: "load case", path: path, message: "not valid YAML: \(error)")
    }
    guard let rootValue = JSONValue(any: any), case .object(let root) = rootValue else {
      throw fail("(top)", "expected a mapping of case fields")
    }
    try unknownKeys(root, allowed: caseFields, field: "(top)", fail)
    guard let id = root["id"]?.stringValue, !id.isEmpty else { throw fail("id", "required string") }
    guard id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
      throw fail("id", "'\(id)' may only hold letters, digits, '-', '_' and '.'")
    }
    let requirement = try parseRequirement(root["requirement"], fail)
    var c = ConformanceCase(
      id: id, area: area, file: path, summary: root["summary"]?.text ?? "",
      requirement: requirement)
    c.needs = try strings(root["needs"], "needs", fail)
    for need in c.needs where !HostFeatures.needKinds.contains(String(need.split(separator: ":").first ?? "")) {
      throw fail("needs", "unknown need '\(need)' (kinds: \(HostFeatures.needKinds.sorted().joined(separator: ", ")))")
    }
    if let t = root["timeout"] {
      guard let n = t.numberValue, n > 0, n <= 600 else { throw fail("timeout", "a number of seconds in (0, 600]") }
      c.timeout = n
    }
    c.divergence = root["divergence"]?.text
    if let h = root["helper"] {
      guard let b = h.boolValue else { throw fail("helper", "true or false") }
      c.helper = b
    }
    if let links = root["symlinks"] {
      guard case .object(let o) = links else {
        throw fail("symlinks", "a mapping of link path (absolute, in the rootfs) to target")
      }
      for (link, target) in o.sorted(by: { $0.key < $1.key }) {
        guard link.hasPrefix("/"), !link.split(separator: "/").contains(".."), let text = target.stringValue else {
          throw fail("symlinks.\(link)", "an absolute path without .. mapped to a target string")
        }
        c.symlinks.append(CaseSymlink(link: link, target: text))
      }
    }
    if let a = root["agent"] {
      guard let b = a.boolValue else { throw fail("agent", "true or false") }
      c.agent = b
    }
    if let s = root["systemdCgroup"] {
      guard let b = s.boolValue else { throw fail("systemdCgroup", "true or false") }
      c.systemdCgroup = b
      if b && !c.needs.contains("systemd") {
        throw fail("systemdCgroup", "needs [systemd] too (the host must run systemd)")
      }
    }
    c.mutations = try parseMutations(root["mutate"], fail)
    if let p = root["probe"] {
      guard case .object(let o) = p else { throw fail("probe", "expected a mapping") }
      try unknownKeys(o, allowed: probeFields, field: "probe", fail)
      c.probe.paths = try strings(o["paths"], "probe.paths", fail)
      c.probe.sysctls = try strings(o["sysctls"], "probe.sysctls", fail)
      c.probe.files = try strings(o["files"], "probe.files", fail)
      c.probe.syscalls = try strings(o["syscalls"], "probe.syscalls", fail)
      c.probe.then = try strings(o["then"], "probe.then", fail)
    }
    if let h = root["hooks"] {
      guard case .object(let o) = h else { throw fail("hooks", "expected a mapping with record/fail") }
      try unknownKeys(o, allowed: ["record", "fail"], field: "hooks", fail)
      c.hooks.record = try strings(o["record"], "hooks.record", fail)
      c.hooks.fail = try strings(o["fail"], "hooks.fail", fail)
      for phase in c.hooks.record + c.hooks.fail where !HookRequest.phases.contains(phase) {
        throw fail("hooks", "unknown hook phase '\(phase)' (one of \(HookRequest.phases.joined(separator: ", ")))")
      }
    }
    guard case .array(let steps)? = root["steps"], !steps.isEmpty else {
      throw fail("steps", "required non-empty list")
    }
    c.steps = try steps.enumerated().map { try parseStep($1, index: $0, fail) }
    return c
  }

  static func unknownKeys(
    _ o: [String: JSONValue], allowed: Set<String>, field: String,
    _ fail: (String, String) -> HarnessError
  ) throws {
    if let bad = o.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw fail(
        field == "(top)" ? bad : "\(field).\(bad)",
        "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
    }
  }

  static func strings(_ v: JSONValue?, _ field: String, _ fail: (String, String) -> HarnessError) throws -> [String] {
    guard let v, v != .null else { return [] }
    guard case .array(let a) = v else { throw fail(field, "expected a list") }
    return try a.map { e in
      switch e {
      case .string(let s): return s
      case .number: return e.text
      default: throw fail(field, "expected scalars, found \(e.text)")
      }
    }
  }

  static func parseRequirement(_ v: JSONValue?, _ fail: (String, String) -> HarnessError) throws -> Requirement {
    guard case .object(let o)? = v else { throw fail("requirement", "required mapping with doc, section, level, text") }
    try unknownKeys(o, allowed: requirementFields, field: "requirement", fail)
    guard let doc = o["doc"]?.stringValue, Requirement.documents.contains(doc) else {
      throw fail("requirement.doc", "one of \(Requirement.documents.joined(separator: ", "))")
    }
    guard let section = o["section"]?.stringValue, !section.isEmpty else {
      throw fail("requirement.section", "required string")
    }
    guard let levelText = o["level"]?.stringValue, let level = RequirementLevel(rawValue: levelText) else {
      throw fail("requirement.level", "MUST, SHOULD or MAY")
    }
    guard let text = o["text"]?.stringValue, !text.isEmpty else { throw fail("requirement.text", "required string") }
    return Requirement(document: doc, section: section, level: level, text: text, versions: o["versions"]?.text)
  }

  static func parseMutations(_ v: JSONValue?, _ fail: (String, String) -> HarnessError) throws -> [Mutation] {
    guard let v, v != .null else { return [] }
    guard case .array(let list) = v else { throw fail("mutate", "expected a list") }
    return try list.enumerated().map { i, item in
      let field = "mutate[\(i)]"
      guard case .object(let o) = item else { throw fail(field, "expected a mapping like {set: a.b, value: x}") }
      let ops = Mutation.Operation.allCases.filter { o[$0.rawValue] != nil }
      guard ops.count == 1, let op = ops.first, let pathText = o[op.rawValue]?.stringValue else {
        throw fail(field, "exactly one of set, remove, append, merge with a key path")
      }
      try unknownKeys(o, allowed: [op.rawValue, "value"], field: field, fail)
      if op != .remove && o["value"] == nil { throw fail(field, "\(op.rawValue) needs a value") }
      do { return Mutation(op, try KeyPath(parsing: pathText), o["value"] ?? .null) } catch let e as HarnessError {
        throw fail(field, e.message)
      }
    }
  }

  static func parseMatchers(_ v: JSONValue, _ field: String, _ fail: (String, String) -> HarnessError) throws
    -> [Matcher]
  {
    guard case .object(let o) = v, o.keys.allSatisfy({ Matcher.Kind(rawValue: $0) != nil }) else {
      if case .object(let o) = v, let bad = o.keys.sorted().first(where: { Matcher.Kind(rawValue: $0) == nil }) {
        throw fail(
          "\(field).\(bad)", "unknown matcher (one of \(Matcher.Kind.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      return [Matcher(.equals, v)]  // a bare value means equals
    }
    return o.keys.sorted().map { Matcher(Matcher.Kind(rawValue: $0)!, o[$0]!) }
  }

  static func parseStep(_ v: JSONValue, index: Int, _ fail: (String, String) -> HarnessError) throws -> Step {
    let field = "steps[\(index)]"
    var o: [String: JSONValue]
    switch v {
    case .string(let s): o = ["do": .string(s)]  // `- start` is short for `- do: start`
    case .object(let m): o = m
    default: throw fail(field, "expected an action name or a mapping with do:")
    }
    try unknownKeys(o, allowed: stepFields, field: field, fail)
    guard let name = o["do"]?.stringValue, let action = StepAction(rawValue: name) else {
      throw fail("\(field).do", "one of \(StepAction.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    var step = Step(action: action)
    if let c = o["container"]?.stringValue { step.container = c }
    step.literalID = o["id"]?.text
    step.signal = o["signal"]?.text
    func flag(_ key: String) throws -> Bool {
      guard let v = o[key] else { return false }
      guard let b = v.boolValue else { throw fail("\(field).\(key)", "true or false") }
      return b
    }
    step.all = try flag("all")
    step.force = try flag("force")
    step.detach = try flag("detach")
    step.consoleSocket = try flag("consoleSocket")
    step.fromFile = try flag("fromFile")
    if step.consoleSocket && action != .create && action != .run {
      throw fail("\(field).consoleSocket", "only for create and run")
    }
    step.args = try strings(o["args"], "\(field).args", fail)
    step.extraArgs = try strings(o["extraArgs"], "\(field).extraArgs", fail)
    step.globalArgs = try strings(o["globalArgs"], "\(field).globalArgs", fail)
    step.document = o["process"] ?? o["resources"]
    if o["process"] != nil && action != .exec { throw fail("\(field).process", "only for exec") }
    if o["resources"] != nil && action != .update { throw fail("\(field).resources", "only for update") }
    if action == .update && step.document == nil { throw fail("\(field).resources", "update needs resources") }
    step.file = o["file"]?.text
    if action == .hostFile && step.file == nil { throw fail("\(field).file", "host-file needs a file") }
    step.unit = o["unit"]?.text
    if step.unit != nil && action != .systemdUnit { throw fail("\(field).unit", "only for systemd-unit") }
    if let ok = o["ok"], ok.text != "any" {
      guard let b = ok.boolValue else { throw fail("\(field).ok", "true, false or any") }
      step.expectSuccess = b
    } else if o["ok"] == nil && action.callsRuntime {
      step.expectSuccess = true
    }
    if let e = o["exitCode"] {
      guard let n = e.numberValue, n == n.rounded() else { throw fail("\(field).exitCode", "an integer") }
      step.exitCode = Int(n)
    }
    if let t = o["timeout"] {
      guard let n = t.numberValue, n > 0 else { throw fail("\(field).timeout", "seconds > 0") }
      step.timeout = n
    }
    if let s = o["stdout"] { step.stdout = try parseMatchers(s, "\(field).stdout", fail) }
    if let s = o["stderr"] { step.stderr = try parseMatchers(s, "\(field).stderr", fail) }
    if let obs = o["observe"] {
      guard case .object(let m) = obs else {
        throw fail("\(field).observe", "expected a mapping of key path → matcher")
      }
      step.checks = try m.keys.sorted().map { key in
        let path: KeyPath
        do { path = try KeyPath(parsing: key) } catch let e as HarnessError {
          throw fail("\(field).observe.\(key)", e.message)
        }
        return Check(path: path, matchers: try parseMatchers(m[key]!, "\(field).observe.\(key)", fail))
      }
    }
    return step
  }
}
