// JUnitReport: junit.xml for CI annotations (GitHub's test reporters, GitLab, Jenkins all read it).
// One testsuite per concern: the bench gate (a testcase per gated value, failing on a confirmed regression),
// bench series (failing when trials failed), and one per conformance runtime. Pure.
import Bench

public enum JUnitReport {
  public static func render(_ model: ReportModel) -> String {
    var suites: [String] = []
    var totalTests = 0
    var totalFailures = 0
    func suite(_ name: String, _ cases: [(name: String, classname: String, failure: String?, skipped: String?)]) {
      guard !cases.isEmpty else { return }
      let failures = cases.filter { $0.failure != nil }.count
      let skipped = cases.filter { $0.skipped != nil }.count
      totalTests += cases.count
      totalFailures += failures
      var out =
        "  <testsuite name=\"\(xmlEscape(name))\" tests=\"\(cases.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
      for c in cases {
        out += "    <testcase classname=\"\(xmlEscape(c.classname))\" name=\"\(xmlEscape(c.name))\""
        if let failure = c.failure {
          out +=
            ">\n      <failure message=\"\(xmlEscape(String(failure.prefix(200))))\">\(xmlEscape(failure))</failure>\n    </testcase>\n"
        } else if let skipped = c.skipped {
          out += ">\n      <skipped message=\"\(xmlEscape(skipped))\"/>\n    </testcase>\n"
        } else {
          out += "/>\n"
        }
      }
      suites.append(out + "  </testsuite>\n")
    }
    if let unusable = model.unusable {
      // A gated (or --require-all) runtime that cannot run here fails; a comparison runtime is reported as skipped.
      suite(
        "preflight",
        unusable.map { runtime in
          let fatal = model.verdict.reasons.contains { $0.hasSuffix(runtime.summary) }
          return (
            name: "\(runtime.name) runs a trivial container", classname: "preflight.\(runtime.name)",
            failure: fatal ? runtime.summary : nil, skipped: fatal ? nil : runtime.summary
          )
        })
    }
    if let gate = model.bench?.gate {
      suite(
        "bench gate",
        gate.findings.filter { $0.status != .new }.map { f in
          (
            name: "\(f.scenario)/\(f.phase) \(f.mode) \(f.metric)", classname: "bench.gate.\(f.runtime)",
            failure: f.status == .regression ? "confirmed regression: " + Gate.describe(f) : nil,
            skipped: nil
          )
        })
    }
    if let bench = model.bench {
      suite(
        "bench",
        bench.results.map { r in
          let failed =
            r.failures > 0 ? "\(r.failures) of \(r.n + r.failures) trials failed: \(r.firstFailure ?? "")" : nil
          return (
            name: "\(r.scenario)/\(r.phase) \(r.mode)", classname: "bench.\(r.runtime)", failure: failed, skipped: nil
          )
        })
    }
    for runtime in model.conformance?.runtimes ?? [] {
      suite(
        "conformance \(runtime.name)",
        runtime.cases.map { c in
          (
            name: c.id, classname: "conformance.\(runtime.name).\(c.area)",
            failure: c.status == "fail" ? "\(c.requirement): \(c.message)" : nil,
            skipped: c.status == "skip" ? c.message : nil
          )
        })
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      + "<testsuites name=\"drydock report\" tests=\"\(totalTests)\" failures=\"\(totalFailures)\">\n"
      + suites.joined() + "</testsuites>\n"
  }
}
