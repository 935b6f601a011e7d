// Issue 15 item 6: with a user namespace, bind sources are opened by the runtime with its
// host credentials before the container enters it (runc, crun), and idmapped mounts work
// in a container with a user namespace of its own (set up on the host side, on a detached tree).
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("user namespace: bind sources, idmapped mounts", .enabled(if: Host.hasUserNamespace, "no user namespaces"))
struct UserNamespaceMountTests {
  static func withUserNamespace(_ sb: Sandbox) {
    var namespaces = sb.config["linux"]?["namespaces"]?.arrayValue ?? []
    namespaces.append(.object(JSONObject([("type", .string("user"))])))
    sb.set("linux.namespaces", .array(namespaces))
    sb.set("linux.uidMappings", json: #"[{"containerID": 0, "hostID": 100000, "size": 65536}]"#)
    sb.set("linux.gidMappings", json: #"[{"containerID": 0, "hostID": 100000, "size": 65536}]"#)
    // The cgroup mount of the template is not what this is about (and needs a cgroup namespace here).
    sb.set("mounts", .array((sb.config["mounts"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "cgroup" }))
  }

  @Test("a bind source below a directory only the host's root may enter is still mounted")
  func bindSourceOpenedWithHostCredentials() throws {
    let sb = try Sandbox("userns-bind")
    defer { sb.cleanup() }
    Self.withUserNamespace(sb)
    let privateDir = sb.dir + "/private"
    #expect(mkdir(privateDir, 0o700) == 0 && mkdir(privateDir + "/inner", 0o755) == 0)
    try "reachable".write(toFile: privateDir + "/inner/file", atomically: false, encoding: .utf8)
    sb.addMount(
      json: #"{"destination": "/home", "type": "bind", "source": "\#(privateDir)/inner", "options": ["bind", "ro"]}"#)
    sb.script("cat /home/file; echo; touch /home/new 2>&1")
    let result = try sb.runContainer(sb.newID())
    #expect(result.stdout.hasPrefix("reachable\n"), "the source was opened with the container's ids: \(result)")
    #expect(result.stdout.contains("Read-only file system"), "ro not applied: \(result)")
  }

  @Test("an idmapped bind mount in a container with its own user namespace maps the host's root to the container's")
  func idmappedMountInUserNamespace() throws {
    let sb = try Sandbox("userns-idmap")
    defer { sb.cleanup() }
    Self.withUserNamespace(sb)
    let source = sb.dir + "/idmapped"
    #expect(mkdir(source, 0o755) == 0)
    try "x".write(toFile: source + "/owned-by-host-root", atomically: false, encoding: .utf8)
    sb.addMount(
      json: #"{"destination": "/home", "type": "bind", "source": "\#(source)", "options": ["bind", "idmap"]}"#)
    sb.script("stat -c '%u' /home/owned-by-host-root; touch /home/made-inside && echo made")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0 && result.stdout == "0\nmade\n", "\(result)")
    var st = stat()
    #expect(
      stat(source + "/made-inside", &st) == 0 && st.st_uid == 0, "the container's root wrote as host uid \(st.st_uid)")
  }

  @Test("linux.devices the host has no node for exist in a container with a user namespace (and a fifo)")
  func devicesNotOnHost() throws {
    let sb = try Sandbox("userns-devices")
    defer { sb.cleanup() }
    Self.withUserNamespace(sb)
    let path = "/dev/hull-absent-\(getpid())"
    #expect(access(path, F_OK) != 0, "the host has \(path)")
    sb.set(
      "linux.devices",
      json:
        #"[{"path": "\#(path)", "type": "c", "major": 1, "minor": 3, "fileMode": 438}, {"path": "/dev/hull-fifo", "type": "p", "major": 0, "minor": 0}]"#
    )
    sb.script("ls -ln \(path) /dev/hull-fifo; echo data > \(path) && echo write-ok")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
    #expect(
      lines.count == 3 && lines[0].first == "crw-rw-rw-" && lines[0][2] == "0" && lines[0][4] == "1,"
        && lines[0][5] == "3", "\(result)")
    #expect(lines.count == 3 && lines[1].first?.hasPrefix("p") == true, "fifo: \(result)")
    #expect(result.stdout.hasSuffix("write-ok\n"), "\(result)")
    #expect(access(path, F_OK) != 0, "made on the host")
  }
}
