import DrydockKit
import Foundation
import Testing

// Case files: every case in the repository loads; malformed files fail with the file and the field named.
@testable import Conformance

@Suite struct ConformanceCaseLoaderTests {
  static let valid = """
    id: sample-case
    summary: a sample
    requirement: {doc: runtime.md, section: Create, level: MUST, text: status MUST be created}
    needs: [cgroup-v1:memory]
    mutate:
      - set: process.cwd
        value: /tmp
      - remove: linux.namespaces[type=network]
    probe: {paths: [/proc/kcore], then: [sleep, "5"]}
    hooks: {record: [prestart], fail: [poststop]}
    steps:
      - create
      - do: state
        observe:
          status: created
          pid: {gt: 0}
      - do: kill
        signal: KILL
        ok: false
        stderr: {matches: "not running"}
    """

  func load(_ text: String) throws -> ConformanceCase {
    try CaseLoader.parse(text, path: "cases/x/sample.yaml", area: "x")
  }

  /// The error a malformed case gives, as text.
  func error(_ text: String) -> String {
    do {
      _ = try load(text)
      return "no error"
    } catch { return "\(error)" }
  }

  @Test func loadsAWellFormedCase() throws {
    let c = try load(Self.valid)
    #expect(c.id == "sample-case" && c.area == "x")
    #expect(c.requirement.level == .must && c.requirement.citation == "runtime.md#Create MUST")
    #expect(c.needs == ["cgroup-v1:memory"])
    #expect(c.mutations.count == 2 && c.mutations[1].operation == .remove)
    #expect(c.probe.arguments == ["-p", "/proc/kcore", "sleep", "5"])
    #expect(c.hooks.record == ["prestart"] && c.hooks.fail == ["poststop"])
    #expect(c.steps.map(\.action) == [.create, .state, .kill])
    #expect(c.steps[0].expectSuccess == true)
    #expect(c.steps[2].expectSuccess == false && c.steps[2].signal == "KILL")
    #expect(c.steps[1].checks.map(\.path.text) == ["pid", "status"])
    #expect(c.steps[1].checks[1].matchers == [Matcher(.equals, .string("created"))])
  }

  @Test(arguments: [
    ("id: x\n", "requirement: required mapping"),
    ("requirement: {doc: runtime.md, section: S, level: MUST, text: t}\nsteps: [create]\n", "id: required string"),
    (valid.replacingOccurrences(of: "level: MUST", with: "level: MUSTN'T"), "requirement.level: MUST, SHOULD or MAY"),
    (valid.replacingOccurrences(of: "doc: runtime.md", with: "doc: nowhere.md"), "requirement.doc: one of"),
    (valid.replacingOccurrences(of: "summary:", with: "sumary:"), "sumary: unknown field"),
    (valid.replacingOccurrences(of: "- create", with: "- creat"), "steps[0].do: one of"),
    (valid.replacingOccurrences(of: "signal: KILL", with: "sigal: KILL"), "steps[2].sigal: unknown field"),
    (valid.replacingOccurrences(of: "{gt: 0}", with: "{greater: 0}"), "steps[1].observe.pid.greater: unknown matcher"),
    (valid.replacingOccurrences(of: "cgroup-v1:memory", with: "gpu:1"), "needs: unknown need 'gpu:1'"),
    (
      valid.replacingOccurrences(of: "- set: process.cwd", with: "- put: process.cwd"),
      "mutate[0]: exactly one of set, remove, append, merge"
    ),
    (
      valid.replacingOccurrences(of: "record: [prestart]", with: "record: [prestop]"),
      "hooks: unknown hook phase 'prestop'"
    ),
    (valid.replacingOccurrences(of: "ok: false", with: "ok: maybe"), "steps[2].ok: true, false or any"),
    (
      valid.replacingOccurrences(of: "type=network]", with: "type=network"),
      "mutate[1]: 'linux.namespaces[type=network': '[' without ']'"
    ),
    ("id: [unclosed\n", "not valid YAML"),
    (valid + "\nsystemdCgroup: true\n", "systemdCgroup: needs [systemd] too"),
    (valid.replacingOccurrences(of: "signal: KILL", with: "unit: x.scope"), "steps[2].unit: only for systemd-unit"),
  ])
  func malformedCasesNameFileAndField(text: String, expected: String) {
    let message = error(text)
    #expect(message.hasPrefix("load case cases/x/sample.yaml: "), "\(message)")
    #expect(message.contains(expected), "\(message)")
  }

  @Test func everyRepositoryCaseLoads() throws {
    let root = try #require(BundleFactory.repositoryRoot())
    let cases = try CaseLoader.loadDirectory(root + "/conformance/cases")
    #expect(cases.count >= 150)
    #expect(Set(cases.map(\.id)).count == cases.count)
    #expect(cases.map(\.id) == cases.map(\.id).sorted())
    // Every area of the brief has cases, and every case cites a requirement with a level.
    let areas = Set(cases.map(\.area))
    for area in [
      "lifecycle", "state", "errors", "process", "hostname", "namespaces", "mounts", "devices", "sysctl",
      "hooks", "cgroups", "seccomp", "cli",
    ] {
      #expect(areas.contains(area), "no case in \(area)")
    }
    for c in cases { #expect(!c.requirement.text.isEmpty && !c.steps.isEmpty, "\(c.id)") }
  }

  @Test func systemdCgroupCasesAndTheUnitsTheirPathsName() throws {
    let c = try load(
      Self.valid.replacingOccurrences(of: "needs: [cgroup-v1:memory]", with: "needs: [systemd]\nsystemdCgroup: true")
        + "\n  - do: systemd-unit\n    observe: {ActiveState: active}\n")
    #expect(c.systemdCgroup && c.steps.last?.action == .systemdUnit && c.steps.last?.action.callsRuntime == false)
    let placement = SystemdPlacement(runPrefix: "/drydock-conf-42-abc", serial: 7)
    #expect(
      placement.cgroupsPath == "system.slice:drydock-conf-42-abc:7" && placement.scope == "drydock-conf-42-abc-7.scope")
    #expect(placement.placeholders["systemd.cgroup"] == "/system.slice/drydock-conf-42-abc-7.scope")
    #expect(placement.token == "drydockconf42abcn7")
    // runc's derivation: <prefix>-<name>.scope (a name ending in .slice is the unit itself), then the slice and the
    // parents its dashes imply.
    #expect(SystemdPlacement.units(of: "system.slice:p:n") == ["p-n.scope", "system.slice"])
    #expect(SystemdPlacement.units(of: "a-b.slice:p:n") == ["p-n.scope", "a-b.slice", "a.slice"])
    #expect(SystemdPlacement.units(of: ":p:n") == ["p-n.scope"])
    #expect(SystemdPlacement.units(of: "system.slice:p:x.slice") == ["x.slice", "system.slice"])
    #expect(SystemdPlacement.units(of: "/p/n") == nil)
  }

  @Test func duplicateIDsAreRefused() throws {
    let dir = NSTemporaryDirectory() + "drydock-cases-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
    try Self.valid.write(toFile: dir + "/a/one.yaml", atomically: true, encoding: .utf8)
    try Self.valid.write(toFile: dir + "/a/two.yaml", atomically: true, encoding: .utf8)
    #expect { try CaseLoader.loadDirectory(dir) } throws: { e in
      "\(e)".contains("two.yaml") && "\(e)".contains("already used by") && "\(e)".contains("one.yaml")
    }
  }
}
