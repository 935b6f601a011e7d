// Issue 14 item 2: linux.sysctl wrote the host's kernel settings. hull runs as root of the host,
// so a key that the container's namespaces do not cover (fs.*, kernel.core_pattern, net.* without
// a network namespace of its own, kernel.shm* in the host's ipc namespace) changed the host's
// value. Each test reads the host's value, asks for another, and checks that hull refuses at
// create naming the key, that the host's value is unchanged and that nothing is left behind.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("sysctl policy") struct SysctlPolicyTests {
  /// A value different from the host's (a number one lower, or higher when that is 0).
  static func other(than value: String) -> String {
    let n = Int(value.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1
    return String(n > 1 ? n - 1 : n + 1)
  }

  /// Creates a container setting `key` = `value` and expects a refusal naming the key, with
  /// `hostFile` unchanged. A runtime that wrote it anyway gets the host's value put back.
  static func expectRefused(
    _ sb: Sandbox, key: String, value: String, hostFile: String, _ suffix: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = readText(hostFile)
    sb.set("linux.sysctl", .object(JSONObject().settingMember(key, .string(value))))
    sb.script("exit 0")
    let id = sb.newID(suffix)
    let result = try sb.hull(["create", "--bundle", sb.bundle, id])
    let after = readText(hostFile)
    if after != before { try? before.write(toFile: hostFile, atomically: false, encoding: .utf8) }
    #expect(result.status != 0, "\(key) was accepted: \(result)", sourceLocation: sourceLocation)
    // A key with a NUL byte is named JSON-escaped.
    #expect(
      result.stderr.contains(key) || result.stderr.contains(JSON.quote(key)),
      "the error does not name \(key): \(result)",
      sourceLocation: sourceLocation)
    #expect(
      after == before, "\(hostFile) on the host changed from \(before) to \(after)", sourceLocation: sourceLocation)
    sb.expectNothingLeft(id, sourceLocation: sourceLocation)
  }

  @Test("a key no namespace covers (fs.lease-break-time) is refused and the host keeps its value")
  func hostOnlyKey() throws {
    let sb = try Sandbox("sysctl-host-only")
    defer { sb.cleanup() }
    let file = "/proc/sys/fs/lease-break-time"
    try Self.expectRefused(
      sb, key: "fs.lease-break-time", value: Self.other(than: readText(file)), hostFile: file, "lease")
  }

  @Test("kernel.core_pattern is refused (asked for the host's own value: a miss must not run anything)")
  func corePattern() throws {
    let sb = try Sandbox("sysctl-core-pattern")
    defer { sb.cleanup() }
    let file = "/proc/sys/kernel/core_pattern"
    // The host's value, so that a runtime letting it through changes nothing; the refusal is what is tested.
    let current = readText(file).trimmingCharacters(in: .newlines)
    try Self.expectRefused(sb, key: "kernel.core_pattern", value: current, hostFile: file, "core")
  }

  @Test("net.* without a network namespace of its own is refused (none, or the host's joined by path)")
  func netWithoutOwnNamespace() throws {
    let sb = try Sandbox("sysctl-net")
    defer { sb.cleanup() }
    let file = "/proc/sys/net/ipv4/ip_unprivileged_port_start"
    let key = "net.ipv4.ip_unprivileged_port_start"
    let namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    let withoutNet = namespaces.filter { $0["type"]?.stringValue != "network" }
    sb.set("linux.namespaces", .array(withoutNet))
    try Self.expectRefused(sb, key: key, value: Self.other(than: readText(file)), hostFile: file, "none")
    // This test process is in hull's network namespace, the host's.
    sb.set(
      "linux.namespaces",
      .array(
        withoutNet + [
          .object(
            JSONObject().settingMember("type", .string("network"))
              .settingMember("path", .string("/proc/\(getpid())/ns/net")))
        ]))
    try Self.expectRefused(sb, key: key, value: Self.other(than: readText(file)), hostFile: file, "joined")
  }

  @Test("kernel.shm* and fs.mqueue.* without an ipc namespace of its own are refused (none, or the host's by path)")
  func ipcWithoutOwnNamespace() throws {
    let sb = try Sandbox("sysctl-ipc")
    defer { sb.cleanup() }
    let namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    let withoutIPC = namespaces.filter { $0["type"]?.stringValue != "ipc" }
    sb.set("linux.namespaces", .array(withoutIPC))
    let shmmni = "/proc/sys/kernel/shmmni"
    let queues = "/proc/sys/fs/mqueue/queues_max"
    try Self.expectRefused(
      sb, key: "kernel.shmmni", value: Self.other(than: readText(shmmni)), hostFile: shmmni, "none")
    try Self.expectRefused(
      sb, key: "fs.mqueue.queues_max", value: Self.other(than: readText(queues)), hostFile: queues, "mq")
    // runc 1.1.5 accepts this one and writes the host's kernel.shmmni.
    sb.set(
      "linux.namespaces",
      .array(
        withoutIPC + [
          .object(
            JSONObject().settingMember("type", .string("ipc"))
              .settingMember("path", .string("/proc/\(getpid())/ns/ipc")))
        ]))
    try Self.expectRefused(
      sb, key: "kernel.shmmni", value: Self.other(than: readText(shmmni)), hostFile: shmmni, "joined")
  }

  @Test(
    "keys with empty, . or .. components are refused, in the dotted and the slash form",
    arguments: [
      "net/../fs/lease-break-time", "net.ipv4.//.fs.lease-break-time", "net..ipv4.ip_forward",
      "fs/lease-break-time", "net/ipv4/./ip_forward", "net.ipv4\u{0}/../../fs/lease-break-time",
    ])
  func badComponents(_ key: String) throws {
    let sb = try Sandbox("sysctl-components")
    defer { sb.cleanup() }
    let file = "/proc/sys/fs/lease-break-time"
    try Self.expectRefused(sb, key: key, value: Self.other(than: readText(file)), hostFile: file, "key")
  }

  @Test("namespaced keys still work: slash form, kernel.domainname (uts), user.* (own user namespace)")
  func allowedKeys() throws {
    let sb = try Sandbox("sysctl-allowed")
    defer { sb.cleanup() }
    let hostPort = readText("/proc/sys/net/ipv4/ip_unprivileged_port_start")
    let hostUserNS = readText("/proc/sys/user/max_user_namespaces")
    sb.set("linux.readonlyPaths", .array([]))
    sb.set(
      "linux.sysctl", json: #"{"net/ipv4/ip_unprivileged_port_start": "100", "kernel.domainname": "sysctl.example"}"#)
    sb.script("cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/domainname")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0 && result.stdout == "100\nsysctl.example\n", "\(result)")
    #expect(readText("/proc/sys/net/ipv4/ip_unprivileged_port_start") == hostPort)

    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    namespaces.append(.object(JSONObject().settingMember("type", .string("user"))))
    sb.set("linux.namespaces", .array(namespaces))
    NamespaceTests.userMappings(sb)
    sb.set("linux.sysctl", json: #"{"user.max_user_namespaces": "7"}"#)
    sb.script("cat /proc/sys/user/max_user_namespaces")
    let user = try sb.runContainer(sb.newID("user"))
    #expect(user.status == 0 && user.stdout == "7\n", "\(user)")
    #expect(readText("/proc/sys/user/max_user_namespaces") == hostUserNS)

    // A user.* key without a user namespace of its own would set the host's limit.
    sb.set("linux.namespaces", .array(namespaces.filter { $0["type"]?.stringValue != "user" }))
    sb.set("linux.uidMappings", nil)
    sb.set("linux.gidMappings", nil)
    let file = "/proc/sys/user/max_user_namespaces"
    try Self.expectRefused(
      sb, key: "user.max_user_namespaces", value: Self.other(than: hostUserNS), hostFile: file, "nouser")
  }
}

extension JSONObject {
  /// This object with member `key` (which may hold dots or slashes) set.
  func settingMember(_ key: String, _ value: JSONValue) -> JSONObject {
    var copy = self
    copy[key] = value
    return copy
  }
}
