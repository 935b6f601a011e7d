// Issue 2 item 5: every namespace created (inode inside differs from the host's),
// joined by path, wrong-type paths refused, user-namespace id maps, time offsets.
import Foundation
import Glibc
import OCISpec
import Testing

/// "net:[4026531840]" for /proc/<pid>/ns/<name>.
func namespaceLink(_ pid: String, _ name: String) -> String {
  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(name)")) ?? "?"
}

@Suite("namespaces") struct NamespaceTests {
  /// OCI type → /proc/self/ns name.
  static let kinds: [(String, String)] = [
    ("pid", "pid"), ("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("mount", "mnt"),
    ("cgroup", "cgroup"), ("time", "time"), ("user", "user"),
  ]

  static func withNamespace(_ sb: Sandbox, _ type: String) {
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    if !namespaces.contains(where: { $0["type"]?.stringValue == type }) {
      namespaces.append(.object(JSONObject([("type", .string(type))])))
    }
    sb.set("linux.namespaces", .array(namespaces))
    if type == "user" { userMappings(sb) }
  }

  static func userMappings(_ sb: Sandbox) {
    sb.set("linux.uidMappings", json: #"[{"containerID": 0, "hostID": 100000, "size": 65536}]"#)
    sb.set("linux.gidMappings", json: #"[{"containerID": 0, "hostID": 200000, "size": 65536}]"#)
  }

  @Test("each namespace type is created", arguments: kinds)
  func created(_ type: String, _ name: String) throws {
    let sb = try Sandbox("ns-\(name)")
    defer { sb.cleanup() }
    Self.withNamespace(sb, type)
    // $$ is the shell itself, wherever `readlink /proc/self` would name the readlink process.
    sb.script("readlink /proc/$$/ns/\(name)")
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status == 0, "\(result)")
    let inside = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
    let host = namespaceLink("self", name)
    #expect(inside.hasPrefix(name + ":["), "\(result)")
    #expect(inside != host, "\(type): the container shares the host's \(inside)")
    sb.expectNothingLeft(id)
  }

  @Test("a namespace not listed is shared with the host")
  func sharedWhenNotListed() throws {
    let sb = try Sandbox("ns-shared")
    defer { sb.cleanup() }
    sb.set("linux.namespaces", json: #"[{"type": "mount"}, {"type": "pid"}]"#)
    sb.script("for n in net uts ipc; do readlink /proc/$$/ns/$n; done")
    sb.set("hostname", nil)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == ["net", "uts", "ipc"].map { namespaceLink("self", $0) + "\n" }.joined(), "\(result)")
  }

  @Test("joining another container's namespaces by path")
  func joinByPath() throws {
    let sb = try Sandbox("ns-join")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let first = sb.newID("first")
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, first]).status == 0)
    let firstPid = String(try sb.pid(first))
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    for (index, ns) in namespaces.enumerated() where ["network", "ipc", "uts"].contains(ns["type"]?.stringValue ?? "") {
      let name = ns["type"]?.stringValue == "network" ? "net" : ns["type"]!.stringValue!
      namespaces[index] = ns.setting("path", .string("/proc/\(firstPid)/ns/\(name)"))
    }
    sb.set("linux.namespaces", .array(namespaces))
    sb.set("hostname", nil)  // sethostname in a shared uts namespace would change the first container's
    sb.script("for n in net ipc uts pid; do readlink /proc/$$/ns/$n; done")
    let result = try sb.runContainer(sb.newID("second"))
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 4, "\(result)")
    #expect(Array(lines.prefix(3)) == ["net", "ipc", "uts"].map { namespaceLink(firstPid, $0) })
    #expect(lines.last != namespaceLink(firstPid, "pid"), "a pid namespace was not asked to be shared")
  }

  @Test("joining a named network namespace made by `ip netns add`", .enabled(if: Host.hasIP, "no ip(8) on this host"))
  func joinIPNetns() throws {
    let sb = try Sandbox("ns-ipnetns")
    defer { sb.cleanup() }
    let name = "hulltest-\(getpid())-\(Sandbox.counter.next())"
    let add = try run([Host.ipPath, "netns", "add", name], outputDir: sb.dir)
    try #require(add.status == 0, "\(add)")
    defer { _ = try? run([Host.ipPath, "netns", "delete", name], outputDir: sb.dir) }
    let path = "/var/run/netns/\(name)"
    var st = stat()
    try #require(stat(path, &st) == 0)
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    for (index, ns) in namespaces.enumerated() where ns["type"]?.stringValue == "network" {
      namespaces[index] = ns.setting("path", .string(path))
    }
    sb.set("linux.namespaces", .array(namespaces))
    sb.script("readlink /proc/$$/ns/net")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "net:[\(st.st_ino)]\n", "\(result)")
  }

  @Test("a namespace path of the wrong type is an error and leaves nothing behind")
  func wrongType() throws {
    let sb = try Sandbox("ns-wrong")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let first = sb.newID("first")
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, first]).status == 0)
    let firstPid = try sb.pid(first)
    // The second container gets its own bundle and cgroup so the check below is about it alone.
    let secondCgroup = sb.cgroupPath + "-second"
    sb.ownCgroup(secondCgroup)
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    for (index, ns) in namespaces.enumerated() where ns["type"]?.stringValue == "network" {
      namespaces[index] = ns.setting("path", .string("/proc/\(firstPid)/ns/ipc"))
    }
    sb.set("linux.namespaces", .array(namespaces))
    sb.set("linux.cgroupsPath", .string(secondCgroup))
    let second = sb.newID("second")
    sb.script("echo must-not-run")
    let result = try sb.runContainer(second)
    #expect(result.status != 0, "\(result)")
    #expect(!result.stdout.contains("must-not-run"))
    #expect(result.stderr.hasPrefix("hull: ") && result.stderr.contains("/proc/\(firstPid)/ns/ipc"), "\(result)")
    #expect(access(sb.root + "/" + second, F_OK) != 0)
    #expect(sb.existingCgroupDirs(secondCgroup).isEmpty)

    // A path that is not a namespace at all.
    namespaces = namespaces.map {
      $0["type"]?.stringValue == "network" ? $0.setting("path", .string("/etc/hostname")) : $0
    }
    sb.set("linux.namespaces", .array(namespaces))
    let third = sb.newID("third")
    let notNS = try sb.runContainer(third)
    #expect(notNS.status != 0, "\(notNS)")
    #expect(access(sb.root + "/" + third, F_OK) != 0)
    #expect(sb.status(first) == "running")
  }

  @Test(
    "user namespace: the parent writes uid_map and gid_map", .enabled(if: Host.hasUserNamespace, "no user namespaces"))
  func userMappings() throws {
    let sb = try Sandbox("ns-userns")
    defer { sb.cleanup() }
    Self.withNamespace(sb, "user")
    sb.script("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g")
    let id = sb.newID()
    let create = try sb.create(id)
    let pid = try sb.pid(id)
    let hostUidMap = readText("/proc/\(pid)/uid_map")
    #expect(hostUidMap.split(whereSeparator: \.isWhitespace) == ["0", "100000", "65536"], "\(hostUidMap)")
    // Seen from the host, the container's root is uid 100000.
    let status = readText("/proc/\(pid)/status")
    #expect(statusField(status, "Uid")?.split(separator: "\t").first == "100000", "\(status)")
    #expect(try sb.hull(["start", id]).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
    let out = readText(create.stdoutPath)
    let words = out.split(whereSeparator: \.isWhitespace)
    #expect(words == ["0", "100000", "65536", "0", "200000", "65536", "0", "0"], "container output: \(out)")
  }

  @Test("a new user namespace without mappings is refused")
  func userWithoutMappings() throws {
    let sb = try Sandbox("ns-userns-nomap")
    defer { sb.cleanup() }
    Self.withNamespace(sb, "user")
    sb.set("linux.uidMappings", nil)
    sb.set("linux.gidMappings", nil)
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status != 0 && result.stderr.contains("Mappings"), "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test(
    "time namespace offsets shift the container's boottime", .enabled(if: Host.hasTimeNamespace, "no time namespaces"))
  func timeOffsets() throws {
    let sb = try Sandbox("ns-time")
    defer { sb.cleanup() }
    Self.withNamespace(sb, "time")
    let offset = 10 * 365 * 86400
    sb.set(
      "linux.timeOffsets",
      json: #"{"boottime": {"secs": \#(offset), "nanosecs": 0}, "monotonic": {"secs": 1000, "nanosecs": 0}}"#)
    sb.script("cat /proc/uptime")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let inside = Double(result.stdout.split(separator: " ").first ?? "") ?? 0
    let host = Double(readText("/proc/uptime").split(separator: " ").first ?? "") ?? 0
    #expect(
      inside - host > Double(offset) - 60 && inside - host < Double(offset) + 60,
      "uptime inside \(inside), host \(host)")

    // Offsets without a new time namespace are refused.
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    namespaces.removeAll { $0["type"]?.stringValue == "time" }
    sb.set("linux.namespaces", .array(namespaces))
    let id = sb.newID("no-ns")
    let refused = try sb.runContainer(id)
    #expect(refused.status != 0 && refused.stderr.contains("timeOffsets"), "\(refused)")
    sb.expectNothingLeft(id)
  }

  @Test(
    "cgroup namespace: the container sees its own cgroup as the root",
    .enabled(if: Host.hasCgroupNamespace, "no cgroup namespaces"))
  func cgroupNamespaceRoot() throws {
    let sb = try Sandbox("ns-cgroup-root")
    defer { sb.cleanup() }
    Self.withNamespace(sb, "cgroup")
    sb.script("cat /proc/self/cgroup")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    for line in result.stdout.split(separator: "\n") {
      #expect(line.hasSuffix(":/"), "outside the namespace root: \(line)\n\(result)")
    }
  }

  @Test("a new network namespace has lo up (runc and crun bring it up)")
  func loopbackUp() throws {
    let sb = try Sandbox("ns-net-lo")
    defer { sb.cleanup() }
    Self.withNamespace(sb, "network")
    sb.script("cat /sys/class/net/lo/flags; readlink /proc/$$/ns/net")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 2 && lines[1] != namespaceLink("self", "net"), "not a new network namespace: \(result)")
    // IFF_UP (0x1) | IFF_LOOPBACK (0x8)
    #expect(
      lines.first.flatMap { Int($0.dropFirst(2), radix: 16) }.map { $0 & 0x1 != 0 } == true, "lo is down: \(result)")
  }
}
