// Issue 14 item 8: without linux.resources.devices, hull left the device cgroup open: a
// container with CAP_MKNOD could mknod any host device and open it (/dev/fuse, the host's
// disks). hull now applies runc's policy (deny all, the spec's rules, then mknod of anything
// and rwm on null, zero, full, random, urandom, tty, ptmx, the ptys and tun). These tests
// run the attack: mknod the host's devices inside the container and open them.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("default device policy") struct DevicePolicyTests {
  /// The host's block devices (major, minor, name) from /proc/partitions.
  static let hostBlockDevices: [(Int, Int, String)] = readText("/proc/partitions").split(separator: "\n").compactMap {
    line in
    let f = line.split(separator: " ")
    guard f.count == 4, let major = Int(f[0]), let minor = Int(f[1]) else { return nil }
    return (major, minor, String(f[3]))
  }

  /// runc 1.1.5's devices.list for a container without linux.resources.devices, read on this host.
  static let runcDefaultList: Set<String> = [
    "b *:* m", "c *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
    "c 5:2 rwm", "c 10:200 rwm", "c 136:* rwm",
  ]

  /// A sandbox whose container has CAP_MKNOD and no linux.resources.devices, and a script that
  /// creates each node in /dev (a tmpfs without nodev) and prints `name=ok` or `name=<error>`.
  static func attack(
    _ sb: Sandbox, nodes: [(name: String, type: String, major: Int, minor: Int)],
    existing: [String]
  ) {
    sb.set("linux.resources", nil)
    let caps = jsonStrings(["CAP_MKNOD", "CAP_DAC_OVERRIDE"])
    for set in ["bounding", "effective", "permitted"] { sb.set("process.capabilities.\(set)", caps) }
    sb.set("process.capabilities.ambient", nil)
    var script = #"try_open() { err=$( (exec 3<>"$2") 2>&1 ) && echo "$1=ok" || echo "$1=${err##*: }"; }"# + "\n"
    for node in nodes {
      script += "mknod /dev/\(node.name) \(node.type) \(node.major) \(node.minor) || echo \(node.name)=mknod-failed\n"
      script += "try_open \(node.name) /dev/\(node.name)\n"
    }
    for path in existing { script += "try_open \(path) \(path)\n" }
    sb.script(script)
  }

  static func results(_ output: String) -> [String: String] {
    var map: [String: String] = [:]
    for line in output.split(separator: "\n") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      map[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return map
  }

  @Test("with CAP_MKNOD and no devices config, host devices made with mknod cannot be opened (EPERM)")
  func hostDevicesDenied() throws {
    let sb = try Sandbox("devices-default")
    defer { sb.cleanup() }
    var nodes: [(name: String, type: String, major: Int, minor: Int)] = [
      ("fuse", "c", 10, 229), ("mem", "c", 1, 1), ("ttyS0", "c", 4, 64),
    ]
    for (major, minor, name) in Self.hostBlockDevices.prefix(4) { nodes.append(("blk-" + name, "b", major, minor)) }
    Self.attack(
      sb, nodes: nodes, existing: ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/ptmx"])
    let id = sb.newID()
    let created = try sb.create(id)
    // The v1 devices hierarchy holds runc's list exactly (the same lines as runc's container on this host).
    if let dir = sb.existingCgroupDirs().first(where: { $0.hasPrefix("/sys/fs/cgroup/devices/") }) {
      let list = Set(readText(dir + "/devices.list").split(separator: "\n").map(String.init))
      #expect(list == Self.runcDefaultList, "devices.list: \(list.sorted())")
    }
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped", seconds: 10))
    let output = readText(created.stdoutPath)
    let r = Self.results(output)
    for node in nodes {
      #expect(
        r[node.name] == "Operation not permitted",
        "\(node.type) \(node.major):\(node.minor) (\(node.name)): \(r[node.name] ?? "no result") in \(output)")
    }
    for path in ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/ptmx"] {
      #expect(r[path] == "ok", "\(path): \(r[path] ?? "no result") in \(output)")
    }
    _ = try sb.hull(["delete", "--force", id], writeConfig: false)
    sb.expectNothingLeft(id)
  }

  @Test("linux.resources.devices rules still apply on top of the default deny (allow fuse, the rest stays denied)")
  func specRulesApplied() throws {
    let sb = try Sandbox("devices-spec-rules")
    defer { sb.cleanup() }
    Self.attack(sb, nodes: [("fuse", "c", 10, 229), ("ttyS0", "c", 4, 64)], existing: ["/dev/null"])
    sb.set(
      "linux.resources.devices", json: #"[{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]"#)
    let result = try sb.runContainer(sb.newID())
    let r = Self.results(result.stdout)
    #expect(r["fuse"] != nil && r["fuse"] != "Operation not permitted", "\(result)")
    #expect(r["ttyS0"] == "Operation not permitted", "\(result)")
    #expect(r["/dev/null"] == "ok", "\(result)")
  }
}
