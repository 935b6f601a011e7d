import DrydockKit
import Foundation
import Testing

// Renderers are pure functions: golden outputs for a fixed two-runtime, three-case suite.
@testable import Conformance

@Suite struct ConformanceReportTests {
  static func requirement(_ doc: String, _ section: String, _ level: RequirementLevel, _ text: String) -> Requirement {
    Requirement(document: doc, section: section, level: level, text: text)
  }

  static let suite: SuiteResult = {
    let cases = [
      ConformanceCase(
        id: "create-status", area: "lifecycle", file: "f1", summary: "",
        requirement: requirement("runtime.md", "Create", .must, "status MUST be created")),
      ConformanceCase(
        id: "delete-created", area: "errors", file: "f2", summary: "",
        requirement: requirement("runtime.md", "Delete", .must, "delete of a <created> container MUST fail")),
      ConformanceCase(
        id: "blkio-weight", area: "cgroups", file: "f3", summary: "",
        requirement: requirement("config-linux.md", "Control groups", .should, "weight \"500\"")),
    ]
    let a = RuntimeResults(
      runtime: RuntimeUnderTest(name: "runa", path: "/bin/runa", version: "runa version 1.0"),
      results: [
        CaseResult(caseID: "create-status", status: .pass, seconds: 0.25),
        CaseResult(
          caseID: "delete-created", status: .fail, message: "step 2 (delete): succeeded [runtime.md#Delete MUST]",
          seconds: 0.5),
        CaseResult(caseID: "blkio-weight", status: .skip, message: "host lacks blkio.weight"),
      ])
    let b = RuntimeResults(
      runtime: RuntimeUnderTest(name: "runb", path: "/bin/runb", version: "runb 2"),
      results: [
        CaseResult(caseID: "create-status", status: .pass, seconds: 0.125),
        CaseResult(caseID: "delete-created", status: .pass, seconds: 0.25),
        CaseResult(caseID: "blkio-weight", status: .skip, message: "host lacks blkio.weight"),
      ])
    return SuiteResult(
      cases: cases, runtimes: [a, b], wallSeconds: 12.34, startedAt: Date(timeIntervalSince1970: 0),
      host: HostLabel(kernel: "6.1.0", cgroupMode: "unified", initProcess: "systemd", machine: "host", accelerator: nil)
    )
  }()

  /// Compare line by line, so a failure shows the first differing line rather than two long strings.
  func expectGolden(_ actual: String, _ golden: String, _ name: String) {
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let g = golden.split(separator: "\n", omittingEmptySubsequences: false)
    if let i = zip(a, g).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
      Issue.record("\(name) line \(i + 1):\n  actual: \(a[i])\n  golden: \(g[i])\n--- actual ---\n\(actual)")
    } else if a.count != g.count {
      Issue.record("\(name): \(a.count) lines, golden has \(g.count)\n--- actual ---\n\(actual)")
    }
  }

  @Test func tapGolden() {
    expectGolden(
      Reports.tap(Self.suite, runtime: 0),
      """
      TAP version 13
      # runa runa version 1.0 (/bin/runa)
      1..3
      ok 1 - create-status
      not ok 2 - delete-created
        ---
        message: "step 2 (delete): succeeded [runtime.md#Delete MUST]"
        requirement: "runtime.md#Delete MUST"
        level: MUST
        text: "delete of a <created> container MUST fail"
        ...
      ok 3 - blkio-weight # SKIP host lacks blkio.weight
      # pass 1 fail 1 skip 1

      """, "tap")
  }

  @Test func junitGolden() {
    expectGolden(
      Reports.junit(Self.suite),
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="drydock conformance">
        <testsuite name="runa" tests="3" failures="1" skipped="1" time="0.750">
          <testcase classname="runa.lifecycle" name="create-status" time="0.250"/>
          <testcase classname="runa.errors" name="delete-created" time="0.500">
            <failure message="runtime.md#Delete MUST">step 2 (delete): succeeded [runtime.md#Delete MUST]</failure>
          </testcase>
          <testcase classname="runa.cgroups" name="blkio-weight" time="0.000">
            <skipped message="host lacks blkio.weight"/>
          </testcase>
        </testsuite>
        <testsuite name="runb" tests="3" failures="0" skipped="1" time="0.375">
          <testcase classname="runb.lifecycle" name="create-status" time="0.125"/>
          <testcase classname="runb.errors" name="delete-created" time="0.250"/>
          <testcase classname="runb.cgroups" name="blkio-weight" time="0.000">
            <skipped message="host lacks blkio.weight"/>
          </testcase>
        </testsuite>
      </testsuites>

      """, "junit")
  }

  @Test func matrixMarkdownGolden() {
    expectGolden(
      Reports.matrixMarkdown(Self.suite),
      """
      # Conformance matrix

      Host: v2, kernel 6.1.0, init systemd, host

      | runtime | version | pass | fail | skip |
      |---|---|---|---|---|
      | runa | runa version 1.0 | 1 | 1 | 1 |
      | runb | runb 2 | 2 | 0 | 1 |

      | case | requirement | runa | runb |
      |---|---|---|---|
      | create-status | runtime.md#Create MUST | pass | pass |
      | delete-created | runtime.md#Delete MUST | **FAIL** | pass |
      | blkio-weight | config-linux.md#Control groups SHOULD | skip | skip |

      ## Where the runtimes disagree (1)

      - **delete-created** (runtime.md#Delete MUST): runa fail, runb pass

      ## Failures

      ### runa

      - `delete-created`: step 2 (delete): succeeded [runtime.md#Delete MUST]

      ### runb


      """, "matrix.md")
  }

  @Test func jsonHasSummaryAndPerCaseEntries() throws {
    let text = Reports.json(Self.suite, generatedAt: "1970-01-01T00:00:00Z")
    let json = try #require(JSONValue.parse(text))
    let runa = try #require(json["runtimes"]?.arrayValue?.first)
    #expect(
      runa["name"] == .string("runa") && runa["path"] == .string("/bin/runa")
        && runa["version"] == .string("runa version 1.0"))
    #expect(runa["summary"] == .object(["pass": .number(1), "fail": .number(1), "skip": .number(1)]))
    let second = try #require(runa["cases"]?.arrayValue?[1])
    #expect(second["id"] == .string("delete-created") && second["status"] == .string("fail"))
    #expect(second["requirement"] == .string("runtime.md#Delete MUST") && second["level"] == .string("MUST"))
    #expect(second["message"]?.stringValue?.contains("succeeded") == true)
    #expect(Reports.json(Self.suite, generatedAt: "x") == Reports.json(Self.suite, generatedAt: "x"))  // deterministic
  }

  @Test func htmlEscapesAndMarksDisagreements() {
    let html = Reports.matrixHTML(Self.suite)
    #expect(
      html.contains(
        "<td class=\"differ\" title=\"delete of a &lt;created&gt; container MUST fail\">delete-created</td>"))
    #expect(html.contains("<td class=\"fail\" title=\"step 2 (delete): succeeded [runtime.md#Delete MUST]\">fail</td>"))
    #expect(html.contains("title=\"weight &quot;500&quot;\""))
  }

  @Test func coverageGroupsRequirementsByDocument() {
    let text = Reports.coverage(Self.suite.cases)
    #expect(text.contains("| runtime.md | 2 | 0 | 0 | 2 |"))
    #expect(text.contains("| config-linux.md | 0 | 1 | 0 | 1 |"))
    #expect(text.contains("| Delete | MUST | delete of a <created> container MUST fail | all | `delete-created` |"))
  }

  @Test func gateCountsOnlyMustFailuresOfTheGateRuntime() {
    #expect(Reports.gateFailures(Self.suite, gatePath: "/bin/runa") == ["delete-created"])
    #expect(Reports.gateFailures(Self.suite, gatePath: "runb") == [])
    #expect(Reports.gateFailures(Self.suite, gatePath: "/bin/other") == nil)
  }
}
