import DrydockKit
import Foundation
import Testing

// Mutations of the template config and the key-path syntax they share with the matchers.
@testable import Conformance

@Suite struct ConformanceMutationTests {
  static let config = JSONValue.parse(
    """
    {"process": {"args": ["sh"], "env": ["A=1"]}, "hostname": "busybox",
     "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}], "resources": {"devices": []}}}
    """)!

  func apply(
    _ op: Mutation.Operation, _ path: String, _ value: JSONValue = .null,
    placeholders: [String: String] = [:]
  ) throws -> JSONValue {
    try Mutation(op, try KeyPath(parsing: path), value).apply(to: Self.config, placeholders: placeholders)
  }

  @Test func keyPathSyntax() throws {
    let path = try KeyPath(parsing: "linux.namespaces[type=network].path")
    #expect(
      path.segments == [.key("linux"), .key("namespaces"), .match(field: "type", value: "network"), .key("path")])
    #expect(
      try KeyPath(parsing: "paths[/proc/kcore].read").segments == [.key("paths"), .key("/proc/kcore"), .key("read")])
    #expect(
      try KeyPath(parsing: "sysctl[net.ipv4.ip_forward]").segments == [.key("sysctl"), .key("net.ipv4.ip_forward")])
    #expect(try KeyPath(parsing: "process.args[0]").lookup(in: Self.config) == .string("sh"))
    #expect(try KeyPath(parsing: "linux.namespaces[type=pid].type").lookup(in: Self.config) == .string("pid"))
    #expect(try KeyPath(parsing: "linux.namespaces[type=user]").lookup(in: Self.config) == nil)
    #expect(#expect(throws: HarnessError.self) { try KeyPath(parsing: "a[") }?.domain == .conformance)
    #expect(#expect(throws: HarnessError.self) { try KeyPath(parsing: "") }?.domain == .conformance)
  }

  @Test func setCreatesMissingObjects() throws {
    let out = try apply(.set, "process.user.umask", .number(63))
    #expect(try KeyPath(parsing: "process.user.umask").lookup(in: out) == .number(63))
    #expect(try KeyPath(parsing: "process.args").lookup(in: out) == .array([.string("sh")]))
  }

  @Test func setInsideASelectedElement() throws {
    let out = try apply(.set, "linux.namespaces[type=network].path", .string("/proc/1/ns/net"))
    #expect(try KeyPath(parsing: "linux.namespaces[1].path").lookup(in: out) == .string("/proc/1/ns/net"))
    #expect(
      #expect(throws: HarnessError.self) { try apply(.set, "linux.namespaces[type=user].path", .string("x")) }?.domain
        == .conformance)
  }

  @Test func removeKeysAndElements() throws {
    let out = try apply(.remove, "linux.namespaces[type=network]")
    #expect(try KeyPath(parsing: "linux.namespaces").lookup(in: out)?.arrayValue?.count == 1)
    #expect(try apply(.remove, "hostname")["hostname"] == nil)
    #expect(try apply(.remove, "linux.namespaces[type=user]") == Self.config)  // absent: no-op
    #expect(try apply(.remove, "no.such.key") == Self.config)
  }

  @Test func appendAndMerge() throws {
    let env = try apply(.append, "process.env", .string("B=2"))
    #expect(try KeyPath(parsing: "process.env").lookup(in: env) == .array([.string("A=1"), .string("B=2")]))
    let hooks = try apply(.append, "hooks.prestart", .object(["path": .string("/bin/true")]))
    #expect(try KeyPath(parsing: "hooks.prestart[0].path").lookup(in: hooks) == .string("/bin/true"))
    let merged = try apply(.merge, "linux.resources", .object(["pids": .object(["limit": .number(5)])]))
    #expect(try KeyPath(parsing: "linux.resources.pids.limit").lookup(in: merged) == .number(5))
    #expect(try KeyPath(parsing: "linux.resources.devices").lookup(in: merged) == .array([]))
    #expect(#expect(throws: HarnessError.self) { try apply(.append, "hostname", .string("x")) }?.domain == .conformance)
  }

  @Test func placeholdersAreResolved() throws {
    let out = try apply(.set, "mounts", .array([.string("{{shared}}/x")]), placeholders: ["shared": "/tmp/s"])
    #expect(out["mounts"] == .array([.string("/tmp/s/x")]))
  }

  @Test func bundlePlanPutsProbeCgroupsAndHooksBeforeCaseMutations() throws {
    var c = ConformanceCase(
      id: "c", area: "a", file: "f", summary: "",
      requirement: Requirement(document: "runtime.md", section: "s", level: .must, text: "t"))
    c.probe.paths = ["/proc/kcore"]
    c.hooks.record = ["prestart"]
    c.hooks.fail = ["prestart"]
    c.mutations = [Mutation(.set, try KeyPath(parsing: "process.cwd"), .string("{{shared}}"))]
    let config = try BundlePlan.config(
      template: Self.config, for: c, cgroupsPath: "/drydock-x/1",
      sharedHostPath: "/tmp/shared", placeholders: ["shared": "/tmp/shared"])
    #expect(config["linux"]?["cgroupsPath"] == .string("/drydock-x/1"))
    #expect(
      config["process"]?["args"]
        == .array(["/probe", "-o", "/.drydock/probe.json", "-p", "/proc/kcore"].map { .string($0) }))
    #expect(config["process"]?["cwd"] == .string("/tmp/shared"))
    #expect(try KeyPath(parsing: "mounts[destination=/.drydock].source").lookup(in: config) == .string("/tmp/shared"))
    let prestart = try #require(config["hooks"]?["prestart"]?.arrayValue)
    #expect(prestart.count == 2)
    #expect(prestart[0]["args"]?.arrayValue?.last == .string("cat >/dev/null; exit 1"))  // the failing hook runs first
  }
}
