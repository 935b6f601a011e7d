import Foundation
import Testing

// Verdicts are computed outside the container: matchers over probe reports, state output and hook logs.
@testable import Conformance

@Suite struct ConformanceVerdictTests {
  static let report = JSONValue.parse(
    """
    {"pid": 1, "umask": "0022", "hostname": "busybox", "groups": [10, 20],
     "caps": {"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]},
     "mounts": [{"target": "/proc", "fstype": "proc", "options": ["rw", "nosuid"]}],
     "paths": {"/proc/kcore": {"exists": true, "readBytes": 0}}, "sysctl": {"net.ipv4.ip_forward": "1"},
     "rlimits": {"RLIMIT_CORE": {"soft": "unlimited"}}}
    """)!

  func failures(_ path: String, _ matchers: [Matcher], placeholders: [String: String] = [:]) throws -> [String] {
    try Check(path: KeyPath(parsing: path), matchers: matchers).failures(in: Self.report, placeholders: placeholders)
  }

  @Test func equalsIsLooseAcrossScalarTypes() throws {
    #expect(try failures("pid", [Matcher(.equals, .string("1"))]).isEmpty)
    #expect(try failures("umask", [Matcher(.equals, .string("0022"))]).isEmpty)
    #expect(try failures("pid", [Matcher(.equals, .number(2))]) == ["pid: expected 2, found 1"])
    #expect(try failures("pid", [Matcher(.equals, .string("{{pid}}"))], placeholders: ["pid": "1"]).isEmpty)
    #expect(try failures("groups", [Matcher(.equals, .array([.number(10), .number(20)]))]).isEmpty)
    #expect(try !failures("groups", [Matcher(.equals, .array([.number(20), .number(10)]))]).isEmpty)
  }

  @Test func containsExcludesOnArraysStringsObjects() throws {
    #expect(try failures("caps.effective", [Matcher(.contains, .string("CAP_KILL"))]).isEmpty)
    #expect(
      try failures("caps.effective", [Matcher(.contains, .array([.string("CAP_KILL"), .string("CAP_CHOWN")]))])
        == ["caps.effective: [\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"] lacks CAP_CHOWN"])
    #expect(try failures("caps.effective", [Matcher(.excludes, .string("CAP_SYS_ADMIN"))]).isEmpty)
    #expect(try failures("hostname", [Matcher(.contains, .string("busy"))]).isEmpty)
    #expect(try failures("sysctl", [Matcher(.contains, .string("net.ipv4.ip_forward"))]).isEmpty)
    #expect(try failures("mounts[target=/proc].options", [Matcher(.contains, .string("nosuid"))]).isEmpty)
  }

  @Test func absentPresentAndMissingValues() throws {
    #expect(try failures("domainname", [Matcher(.absent, .bool(true))]).isEmpty)
    #expect(try failures("hostname", [Matcher(.present, .bool(true))]).isEmpty)
    #expect(try failures("hostname", [Matcher(.absent, .bool(true))]) == ["hostname: expected absent, found busybox"])
    #expect(
      try failures("paths[/proc/kcore].write", [Matcher(.equals, .string("EROFS"))])
        == ["paths[/proc/kcore].write: absent (expected equals EROFS)"])
  }

  @Test func numericComparisonsRegexOneOfLength() throws {
    #expect(try failures("paths[/proc/kcore].readBytes", [Matcher(.le, .number(0))]).isEmpty)
    #expect(
      try failures("pid", [Matcher(.gt, .number(0)), Matcher(.lt, .number(2)), Matcher(.ge, .number(1))]).isEmpty)
    #expect(try failures("pid", [Matcher(.gt, .number(1))]) == ["pid: expected > 1, found 1"])
    #expect(
      try failures("rlimits.RLIMIT_CORE.soft", [Matcher(.le, .number(5))])
        == ["rlimits.RLIMIT_CORE.soft: cannot compare unlimited with 5 as numbers"])
    #expect(try failures("umask", [Matcher(.matches, .string("^0[0-7]{3}$"))]).isEmpty)
    #expect(try failures("hostname", [Matcher(.oneOf, .array([.string("a"), .string("busybox")]))]).isEmpty)
    #expect(try failures("groups", [Matcher(.length, .number(2))]).isEmpty)
    #expect(try failures("umask", [Matcher(.notEquals, .string("0077"))]).isEmpty)
  }

  @Test func hookLogBecomesAnObservation() throws {
    let lines: [(line: String, during: String)] = [
      ("prestart\tmnt:[1]\t{\"id\":\"c1\",\"pid\":42,\"status\":\"created\",\"bundle\":\"/b\"}", "create"),
      ("startContainer\tmnt:[9]\t{\"id\":\"c1\",\"pid\":42,\"status\":\"created\"}", "start"),
      ("poststop\tmnt:[1]\t{\"id\":\"c1\",\"pid\":0,\"status\":\"stopped\"}", "delete"),
    ]
    let o = BundlePlan.hookObservation(lines: lines, hostMountNamespace: "mnt:[1]")
    #expect(o["order"] == .array(["prestart", "startContainer", "poststop"].map { .string($0) }))
    #expect(o["during"]?["poststop"] == .string("delete"))
    #expect(o["status"]?["poststop"] == .string("stopped"))
    #expect(o["pid"]?["prestart"] == .number(42))
    #expect(o["bundle"]?["prestart"] == .string("/b"))
    #expect(o["inHostMountNamespace"]?["prestart"] == .bool(true))
    #expect(o["inHostMountNamespace"]?["startContainer"] == .bool(false))
    #expect(o["count"] == .number(3))
  }

  @Test func hostNeedsDecideSkipsWithAReason() {
    var host = HostFeatures()
    host.v1Controllers = ["memory", "pids"]
    host.v2Mount = "/sys/fs/cgroup/unified"
    host.boundingCaps = 0x1ff_feff_ffff  // this machine's: no CAP_SYS_RESOURCE
    host.nofileHard = 20000
    host.kernel = (6, 18)
    #expect(host.unmet("cgroup-v1:memory") == nil)
    #expect(host.unmet("cgroup-v1:net_cls") == "host has no cgroup v1 hierarchy for net_cls")
    #expect(host.unmet("cgroup-v2:memory")?.contains("offers: none") == true)
    #expect(host.unmet("cap:CAP_SYS_ADMIN") == nil)
    #expect(host.unmet("cap:CAP_SYS_RESOURCE") == "host bounding set lacks CAP_SYS_RESOURCE")
    #expect(host.unmet("nofile-hard:1048576") == "host hard RLIMIT_NOFILE is 20000 < 1048576")
    #expect(host.unmet("kernel:5.12") == nil && host.unmet("kernel:7.0") != nil)
    #expect(host.unmet("apparmor") == "host has no AppArmor")
    #expect(host.unmet("warp-drive") == "unknown need 'warp-drive'")
  }
}
