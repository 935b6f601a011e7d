// Issue 2 item 10 and the hostile-input list: each fails with a clear message and
// leaves nothing behind (state dir, cgroup dir, process, mount).
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("hostile input") struct HostileInputTests {
  static let badIDs: [String] = ["../x", "a/b", "", String(repeating: "a", count: 1024), "..", "x\ny", "/abs"]

  @Test("bad container ids are refused", arguments: badIDs)
  func badID(_ id: String) throws {
    let sb = try Sandbox("bad-id")
    defer { sb.cleanup() }
    sb.script("echo must-not-run")
    let result = try sb.hull(["run", "--bundle", sb.bundle, id])
    #expect(result.status != 0)
    #expect(!result.stdout.contains("must-not-run"))
    #expect(result.stderr.hasPrefix("hull: ") && result.stderr.contains("container id"), "\(result)")
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: sb.root)) ?? []
    #expect(entries.isEmpty, "state entries: \(entries)")
    #expect(access(sb.dir + "/x", F_OK) != 0, "../x escaped the state root")
    #expect(sb.existingCgroupDirs().isEmpty)
    #expect(sb.processesMentioningSandbox().isEmpty)
    // Other commands refuse them too.
    for command in ["state", "delete", "kill", "start"] {
      let other = try sb.hull([command, id], writeConfig: false)
      #expect(other.status != 0, "\(command) accepted \(id.debugDescription)")
    }
  }

  /// A field set to a path that climbs out of the root, or a setuid device: (field, JSON path, value).
  static let climbingPaths: [(String, String, String)] = [
    ("mounts[", "mounts", #"[{"destination":"/../../tmp/x","type":"tmpfs","source":"tmpfs"}]"#),
    ("mounts[", "mounts", #"[{"destination":"tmp/../../../x","type":"tmpfs","source":"tmpfs"}]"#),
    ("linux.devices[0].path", "linux.devices", #"[{"path":"/dev/../../x","type":"c","major":1,"minor":3}]"#),
    (
      "linux.devices[0].fileMode", "linux.devices",
      #"[{"path":"/dev/x","type":"c","major":1,"minor":3,"fileMode":2486}]"#
    ),
    ("linux.maskedPaths[0]", "linux.maskedPaths", #"["/proc/../../x"]"#),
    ("linux.readonlyPaths[0]", "linux.readonlyPaths", #"["/../x"]"#),
    ("process.cwd", "process.cwd", #""/../../tmp""#),
  ]

  @Test(
    "paths that climb out of the root with .., and setuid device nodes, are refused by field",
    arguments: climbingPaths.indices)
  func climbingPath(_ index: Int) throws {
    let (field, path, value) = Self.climbingPaths[index]
    let sb = try Sandbox("climb")
    defer { sb.cleanup() }
    sb.script("echo must-not-run")
    sb.set("ociVersion", .string("1.3.0"))  // relative destinations are fine from 1.1 on: only the climb is wrong
    sb.set(path, json: value)
    let id = sb.newID()
    let result = try sb.hull(["run", "--bundle", sb.bundle, id])
    #expect(result.status != 0 && !result.stdout.contains("must-not-run"), "\(result)")
    #expect(
      result.stderr.contains(field) && (result.stderr.contains("climbs out") || result.stderr.contains("setuid")),
      "\(result)")
    sb.expectNothingLeft(id)
  }

  static let badConfigs: [(String, String)] = [
    ("truncated", #"{"ociVersion": "1.0.2", "process": {"args": ["sh""#),
    ("not JSON", "this is not json"),
    ("empty", ""),
    (
      "wrong type",
      #"{"ociVersion": "1.0.2", "process": {"args": "sh", "cwd": "/", "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"}}"#
    ),
    (
      "number out of range",
      #"{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 99999999999, "gid": 0}}, "root": {"path": "rootfs"}}"#
    ),
    ("deep nesting", String(repeating: "[", count: 100_000)),
    (
      "unsupported ociVersion",
      #"{"ociVersion": "2.0.0", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"}}"#
    ),
    (
      "ancient ociVersion",
      #"{"ociVersion": "0.5.0", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"}}"#
    ),
    (
      "bad rlimit",
      #"{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]}, "root": {"path": "rootfs"}}"#
    ),
  ]

  @Test("malformed config.json is refused with the file and the reason", arguments: badConfigs)
  func badConfig(_ name: String, _ text: String) throws {
    let sb = try Sandbox("bad-config")
    defer { sb.cleanup() }
    try sb.writeConfig(text)
    let id = sb.newID()
    let result = try sb.hull(["run", "--bundle", sb.bundle, id], writeConfig: false)
    #expect(result.status != 0, "\(name): \(result)")
    #expect(
      result.stderr.hasPrefix("hull: ") && result.stderr.contains(sb.bundle + "/config.json"), "\(name): \(result)")
    if name.contains("ociVersion") { #expect(result.stderr.contains("ociVersion"), "\(result)") }
    if name == "bad rlimit" { #expect(result.stderr.contains("process.rlimits[0].type"), "\(result)") }
    sb.expectNothingLeft(id)
  }

  @Test("a huge config.json is refused without reading it all")
  func hugeConfig() throws {
    let sb = try Sandbox("huge-config")
    defer { sb.cleanup() }
    let path = sb.bundle + "/config.json"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    #expect(ftruncate(fd, 64 << 20) == 0)  // sparse, 64 MiB of zero bytes
    close(fd)
    let id = sb.newID()
    let result = try sb.hull(["create", "--bundle", sb.bundle, id], timeout: 20, writeConfig: false)
    #expect(result.status != 0 && result.status != -1, "\(result)")
    #expect(result.stderr.contains("config.json"), "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test("a missing rootfs is refused")
  func missingRootfs() throws {
    let sb = try Sandbox("no-rootfs")
    defer { sb.cleanup() }
    sb.set("root.path", .string(sb.dir + "/nowhere"))
    let id = sb.newID()
    let result = try sb.hull(["create", "--bundle", sb.bundle, id])
    #expect(result.status != 0)
    #expect(
      result.stderr.contains(sb.dir + "/nowhere") && result.stderr.contains("no such file or directory"), "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test("an existing id is refused and the first container is untouched")
  func duplicateID() throws {
    let sb = try Sandbox("dup-id")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    let pid = try sb.pid(id)
    let second = try sb.hull(["create", "--bundle", sb.bundle, id])
    #expect(second.status != 0 && second.stderr.contains("already exists"), "\(second)")
    #expect(sb.status(id) == "created")
    #expect(try sb.pid(id) == pid)
    #expect(processIsLive(pid))
  }

  @Test("a mount destination that is a symlink out of the rootfs lands inside it, never on the host path")
  func symlinkEscape() throws {
    let sb = try Sandbox("symlink-escape", rootfs: .copy)
    defer { sb.cleanup() }
    let outside = sb.dir + "/outside"
    let payload = sb.dir + "/payload"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: payload, withIntermediateDirectories: true)
    try "payload".write(toFile: payload + "/marker", atomically: false, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: sb.rootfs + "/outside-view", withIntermediateDirectories: true)
    // An absolute and a relative link, both pointing at the host's `outside`.
    try FileManager.default.createSymbolicLink(atPath: sb.rootfs + "/evil", withDestinationPath: outside)
    try FileManager.default.createSymbolicLink(
      atPath: sb.rootfs + "/evil2",
      withDestinationPath: "../../../../../../../../.." + outside)
    for link in ["/evil", "/evil2"] {
      sb.set(
        "mounts",
        .array(
          sb.config["mounts"]?.arrayValue?.filter {
            !["/evil", "/evil2", "/outside-view"].contains($0["destination"]?.stringValue ?? "")
          } ?? []))
      // The payload goes to the symlink, then `outside` is bound where the container can look at it:
      // had the first mount followed the link to the host, the second would show the payload.
      sb.addMount(json: #"{"destination":"\#(link)","type":"bind","source":"\#(payload)","options":["bind","ro"]}"#)
      sb.addMount(
        json: #"{"destination":"/outside-view","type":"bind","source":"\#(outside)","options":["bind","ro"]}"#)
      sb.script("ls /outside-view; echo end")
      let id = sb.newID(String(link.dropFirst()))
      let result = try sb.runContainer(id)
      #expect(!result.stdout.contains("marker"), "the mount followed \(link) to the host: \(result)")
      if result.status == 0 {
        #expect(result.stdout == "end\n", "\(result)")
      } else {
        #expect(result.stderr.hasPrefix("hull: "), "\(result)")
      }
      #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? ["?"]).isEmpty)
      #expect(HullTestEnv.mounts(under: outside).isEmpty, "a mount landed on the host path")
      sb.expectNothingLeft(id)
    }

    // When the link's target exists inside the rootfs, the mount goes there and works.
    try FileManager.default.createDirectory(atPath: sb.rootfs + outside, withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: sb.rootfs + "/evil3", withDestinationPath: outside)
    sb.set(
      "mounts",
      .array(
        sb.config["mounts"]?.arrayValue?.filter {
          !["/evil", "/evil2", "/outside-view"].contains($0["destination"]?.stringValue ?? "")
        } ?? []))
    sb.addMount(json: #"{"destination":"/evil3","type":"bind","source":"\#(payload)","options":["bind","ro"]}"#)
    sb.addMount(json: #"{"destination":"/outside-view","type":"bind","source":"\#(outside)","options":["bind","ro"]}"#)
    sb.script("ls /outside-view; echo --; ls /evil3 \(outside)")
    let id = sb.newID("evil3")
    let result = try sb.runContainer(id)
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.hasPrefix("--\n") && result.stdout.contains("marker"), "\(result)")
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? ["?"]).isEmpty)
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: sb.rootfs + outside)) ?? ["?"]).isEmpty)
    sb.expectNothingLeft(id)
  }

  @Test("bind sources and cgroupsPath with .. are handled; systemd-style cgroupsPath is a clear error")
  func badCgroupsPath() throws {
    let sb = try Sandbox("bad-cgroup-path")
    defer { sb.cleanup() }
    for path in ["/hull-test-x/../../escape", "system.slice:hull:abc"] {
      sb.set("linux.cgroupsPath", .string(path))
      let id = sb.newID()
      let result = try sb.hull(["run", "--bundle", sb.bundle, id])
      #expect(result.status != 0, "\(path): \(result)")
      #expect(result.stderr.contains("cgroupsPath"), "\(result)")
      #expect(access("/sys/fs/cgroup/memory/escape", F_OK) != 0)
      #expect(access(sb.root + "/" + id, F_OK) != 0)
    }
  }
}
