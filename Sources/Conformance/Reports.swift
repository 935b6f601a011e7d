// Reports: pure renderers from a SuiteResult to the files `drydock conformance --out DIR` writes.
// Pure (no clock, no file system) so golden tests can pin their output.
import Foundation

public enum Reports {
  static func entry(_ c: ConformanceCase, _ r: CaseResult) -> JSONValue {
    .object([
      "id": .string(c.id), "area": .string(c.area), "status": .string(r.status.rawValue),
      "requirement": .string(c.requirement.citation), "document": .string(c.requirement.document),
      "section": .string(c.requirement.section), "level": .string(c.requirement.level.rawValue),
      "text": .string(c.requirement.text), "versions": c.requirement.versions.map { .string($0) } ?? .null,
      "message": .string(r.message),
      "seconds": .number((r.seconds * 1000).rounded() / 1000),
    ])
  }

  /// conformance.json: per runtime its name, path, version, summary and per-case verdicts.
  public static func json(_ suite: SuiteResult, generatedAt: String) -> String {
    let runtimes: [JSONValue] = suite.runtimes.map { rt in
      .object([
        "name": .string(rt.runtime.name), "path": .string(rt.runtime.path), "version": .string(rt.runtime.version),
        "global_args": .array(rt.runtime.extraGlobalArgs.map { .string($0) }),
        "usable": .bool(rt.unusable == nil),
        "unusable_reason": rt.unusable?.reason.map { .string($0) } ?? .null,
        "host_fix": rt.unusable?.hostFix.map { .string($0) } ?? .null,
        "summary": .object([
          "pass": .number(Double(rt.count(.pass))), "fail": .number(Double(rt.count(.fail))),
          "skip": .number(Double(rt.count(.skip))),
        ]),
        "cases": .array(zip(suite.cases, rt.results).map { entry($0, $1) }),
      ])
    }
    let host = suite.host
    let hostObject = JSONValue.object([
      "kernel": .string(host.kernel), "cgroup_mode": .string(host.cgroupMode),
      "init": .string(host.initProcess), "machine": .string(host.machine),
      "accelerator": host.accelerator.map { .string($0) } ?? .null,
    ])
    return JSONValue.object([
      "generatedAt": .string(generatedAt), "caseCount": .number(Double(suite.cases.count)),
      "host": hostObject,
      "wallSeconds": .number((suite.wallSeconds * 10).rounded() / 10),
      "runtimes": .array(runtimes),
    ]).serialized(pretty: true) + "\n"
  }

  static func yamlQuoted(_ s: String) -> String {
    "\""
      + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n") + "\""
  }

  /// TAP version 13 for one runtime, with a YAML block on failures.
  public static func tap(_ suite: SuiteResult, runtime index: Int) -> String {
    let rt = suite.runtimes[index]
    var out = "TAP version 13\n# \(rt.runtime.name) \(rt.runtime.version) (\(rt.runtime.path))\n"
    if let unusable = rt.unusable { out += "# UNUSABLE: \(unusable.summary)\n" }
    out += "1..\(suite.cases.count)\n"
    for (n, (c, r)) in zip(suite.cases, rt.results).enumerated() {
      switch r.status {
      case .pass: out += "ok \(n + 1) - \(c.id)\n"
      case .skip: out += "ok \(n + 1) - \(c.id) # SKIP \(r.message)\n"
      case .fail:
        out += "not ok \(n + 1) - \(c.id)\n  ---\n  message: \(yamlQuoted(r.message))\n"
        out += "  requirement: \(yamlQuoted(c.requirement.citation))\n  level: \(c.requirement.level.rawValue)\n"
        out += "  text: \(yamlQuoted(c.requirement.text))\n  ...\n"
      }
    }
    out += "# pass \(rt.count(.pass)) fail \(rt.count(.fail)) skip \(rt.count(.skip))\n"
    return out
  }

  static func xml(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }

  /// junit.xml: one testsuite per runtime.
  public static func junit(_ suite: SuiteResult) -> String {
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"drydock conformance\">\n"
    for rt in suite.runtimes {
      let time = rt.results.reduce(0) { $0 + $1.seconds }
      out +=
        "  <testsuite name=\"\(xml(rt.runtime.name))\" tests=\"\(rt.results.count)\" failures=\"\(rt.count(.fail))\" skipped=\"\(rt.count(.skip))\" time=\"\(String(format: "%.3f", time))\">\n"
      if let unusable = rt.unusable {
        out += "    <properties><property name=\"unusable\" value=\"\(xml(unusable.summary))\"/></properties>\n"
        out += "    <system-err>\(xml(unusable.summary))</system-err>\n"
      }
      for (c, r) in zip(suite.cases, rt.results) {
        out +=
          "    <testcase classname=\"\(xml(rt.runtime.name)).\(xml(c.area))\" name=\"\(xml(c.id))\" time=\"\(String(format: "%.3f", r.seconds))\""
        switch r.status {
        case .pass: out += "/>\n"
        case .skip: out += ">\n      <skipped message=\"\(xml(r.message))\"/>\n    </testcase>\n"
        case .fail:
          out +=
            ">\n      <failure message=\"\(xml(c.requirement.citation))\">\(xml(r.message))</failure>\n    </testcase>\n"
        }
      }
      out += "  </testsuite>\n"
    }
    return out + "</testsuites>\n"
  }

  /// Cases whose verdicts differ between runtimes (skips included), in case order.
  public static func disagreements(_ suite: SuiteResult) -> [Int] {
    suite.cases.indices.filter { i in Set(suite.runtimes.map { $0.results[i].status }).count > 1 }
  }

  static func mdCell(_ s: String) -> String {
    s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
  }

  /// matrix.md: case × runtime, then the disagreements and every failure message.
  public static func matrixMarkdown(_ suite: SuiteResult) -> String {
    var out = "# Conformance matrix\n\nHost: \(suite.host.summary)\n\n"
    for rt in suite.runtimes {
      if let unusable = rt.unusable {
        out +=
          "> **UNUSABLE RUNTIME** — \(mdCell(unusable.summary)). Its cases were not run: they are neither passes nor failures.\n\n"
      }
    }
    out += "| runtime | version | pass | fail | skip |\n|---|---|---|---|---|\n"
    for rt in suite.runtimes {
      out +=
        "| \(rt.runtime.name) | \(mdCell(rt.runtime.version)) | \(rt.count(.pass)) | \(rt.count(.fail)) | \(rt.count(.skip)) |\n"
    }
    out +=
      "\n| case | requirement | " + suite.runtimes.map { mdCell($0.runtime.name) }.joined(separator: " | ") + " |\n"
    out += "|---|---|" + suite.runtimes.map { _ in "---|" }.joined() + "\n"
    for (i, c) in suite.cases.enumerated() {
      let cells = suite.runtimes.map { $0.results[i].status == .fail ? "**FAIL**" : $0.results[i].status.rawValue }
      out += "| \(c.id) | \(mdCell(c.requirement.citation)) | " + cells.joined(separator: " | ") + " |\n"
    }
    let differ = disagreements(suite)
    out += "\n## Where the runtimes disagree (\(differ.count))\n\n"
    for i in differ {
      out += "- **\(suite.cases[i].id)** (\(mdCell(suite.cases[i].requirement.citation))): "
      out += suite.runtimes.map { "\($0.runtime.name) \($0.results[i].status.rawValue)" }.joined(separator: ", ") + "\n"
    }
    out += "\n## Failures\n"
    for rt in suite.runtimes {
      out += "\n### \(rt.runtime.name)\n\n"
      for (c, r) in zip(suite.cases, rt.results) where r.status == .fail {
        out += "- `\(c.id)`: \(mdCell(r.message))\n"
      }
    }
    return out
  }

  /// matrix.html: the same table, coloured, with the messages as tooltips.
  public static func matrixHTML(_ suite: SuiteResult) -> String {
    var out = """
      <!DOCTYPE html>
      <html><head><meta charset="utf-8"><title>drydock conformance matrix</title><style>
      body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}
      .pass{background:#cfc}.fail{background:#fbb}.skip{background:#eee;color:#666}.differ{font-weight:bold}
      .banner{background:#fdd;border:2px solid #c00;padding:8px;margin:8px 0;font-weight:bold}
      </style></head><body><h1>drydock conformance matrix</h1>

      """
    for rt in suite.runtimes where rt.unusable != nil {
      out += "<div class=\"banner\">UNUSABLE RUNTIME: \(xml(rt.unusable!.summary)). Its cases were not run.</div>\n"
    }
    out += """
      <table><tr><th>runtime</th><th>version</th><th>pass</th><th>fail</th><th>skip</th></tr>

      """
    for rt in suite.runtimes {
      out +=
        "<tr><td>\(xml(rt.runtime.name))</td><td>\(xml(rt.runtime.version))</td><td>\(rt.count(.pass))</td><td>\(rt.count(.fail))</td><td>\(rt.count(.skip))</td></tr>\n"
    }
    out += "</table><br><table><tr><th>case</th><th>requirement</th>"
    out += suite.runtimes.map { "<th>\(xml($0.runtime.name))</th>" }.joined() + "</tr>\n"
    let differ = Set(disagreements(suite))
    for (i, c) in suite.cases.enumerated() {
      out +=
        "<tr><td\(differ.contains(i) ? " class=\"differ\"" : "") title=\"\(xml(c.requirement.text))\">\(xml(c.id))</td><td>\(xml(c.requirement.citation))</td>"
      for rt in suite.runtimes {
        let r = rt.results[i]
        out += "<td class=\"\(r.status.rawValue)\" title=\"\(xml(r.message))\">\(r.status.rawValue)</td>"
      }
      out += "</tr>\n"
    }
    return out + "</table></body></html>\n"
  }

  /// coverage.md: requirement → cases, generated from the case files alone.
  public static func coverage(_ cases: [ConformanceCase]) -> String {
    var out =
      "# Conformance coverage\n\nGenerated from the case files: each spec requirement and the cases that check it.\n\n"
    out += "| document | MUST | SHOULD | MAY | cases |\n|---|---|---|---|---|\n"
    let byDocument = Dictionary(grouping: cases) { $0.requirement.document }
    for doc in Requirement.documents where byDocument[doc] != nil {
      let list = byDocument[doc]!
      func n(_ l: RequirementLevel) -> Int { list.filter { $0.requirement.level == l }.count }
      out += "| \(doc) | \(n(.must)) | \(n(.should)) | \(n(.may)) | \(list.count) |\n"
    }
    out += "\n| area | cases |\n|---|---|\n"
    for (area, list) in Dictionary(grouping: cases, by: \.area).sorted(by: { $0.key < $1.key }) {
      out += "| \(area) | \(list.count) |\n"
    }
    for doc in Requirement.documents where byDocument[doc] != nil {
      out += "\n## \(doc)\n\n| section | level | requirement | versions | cases |\n|---|---|---|---|---|\n"
      let groups = Dictionary(grouping: byDocument[doc]!) {
        "\($0.requirement.section)\u{0}\($0.requirement.level.rawValue)\u{0}\($0.requirement.text)"
      }
      for key in groups.keys.sorted() {
        let list = groups[key]!
        let r = list[0].requirement
        out += "| \(mdCell(r.section)) | \(r.level.rawValue) | \(mdCell(r.text)) | \(r.versions ?? "all") | "
        out += list.map { "`\($0.id)`" }.sorted().joined(separator: " ") + " |\n"
      }
    }
    return out
  }

  /// The MUST cases the gate runtime failed (the exit status of `drydock conformance --gate`).
  public static func gateFailures(_ suite: SuiteResult, gatePath: String) -> [String]? {
    guard let rt = suite.runtimes.first(where: { $0.runtime.path == gatePath || $0.runtime.name == gatePath }) else {
      return nil
    }
    return zip(suite.cases, rt.results).filter { $0.requirement.level == .must && $1.status == .fail }.map { $0.0.id }
  }
}
