// Issue 2 items 3 and 10: runc's flag spellings, the JSON log, the error shape.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("CLI and errors") struct CLITests {
  @Test("--root x, --root=x and -root x name the same state directory")
  func rootSpellings() throws {
    let sb = try Sandbox("root-spellings")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    let create = try sb.hull(["create", "--bundle=" + sb.bundle, id], rootFlag: ["--root=" + sb.root])
    #expect(create.status == 0, "\(create)")
    #expect(access(sb.root + "/" + id + "/state.json", F_OK) == 0)
    for flag in [["--root", sb.root], ["--root=" + sb.root], ["-root", sb.root], ["-root=" + sb.root]] {
      let state = try sb.hull(["state", id], writeConfig: false, rootFlag: flag)
      #expect(state.status == 0, "\(flag): \(state)")
      #expect((try? JSON.parse(state.stdout))?["id"]?.stringValue == id, "\(flag): \(state)")
    }
    #expect(try sb.hull(["delete", "-f", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
    // Command flags too: -b, -bundle, -force.
    for bundleFlag in [["-b", sb.bundle], ["-bundle", sb.bundle], ["-bundle=" + sb.bundle]] {
      let other = sb.newID("b")
      let create = try sb.hull(["create"] + bundleFlag + [other])
      #expect(create.status == 0, "\(bundleFlag): \(create)")
      #expect(try sb.hull(["delete", "-force", other], writeConfig: false).status == 0)
      sb.expectNothingLeft(other)
    }
  }

  @Test("--log FILE --log-format json appends {level,msg,time} lines and never truncates")
  func jsonLog() throws {
    let sb = try Sandbox("json-log")
    defer { sb.cleanup() }
    let log = sb.dir + "/hull.log"
    try "an earlier line\n".write(toFile: log, atomically: false, encoding: .utf8)
    for spelling in [["--log", log, "--log-format", "json"], ["--log=" + log, "--log-format=json"]] {
      let result = try sb.hull(
        spelling + ["--root", sb.root, "state", "missing-one"], writeConfig: false, rootFlag: [])
      #expect(result.status != 0)
      #expect(result.stderr.contains("container does not exist"), "\(result)")
    }
    let lines = readText(log).split(separator: "\n").map(String.init)
    #expect(lines.first == "an earlier line", "the log was truncated: \(lines)")
    #expect(lines.count == 3, "\(lines)")
    for line in lines.dropFirst() {
      let entry = try JSON.parse(line)
      #expect(entry["level"]?.stringValue == "error", "\(line)")
      #expect(entry["msg"]?.stringValue?.contains("container does not exist") == true, "\(line)")
      #expect(entry["msg"]?.stringValue?.hasPrefix("hull: ") == false, "the msg repeats the program name: \(line)")
      let time = entry["time"]?.stringValue ?? ""
      #expect(
        time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#, options: .regularExpression)
          != nil,
        "time is not RFC 3339: \(line)")
    }
    let badFormat = try sb.hull(["--log-format", "xml", "list"], writeConfig: false, rootFlag: [])
    #expect(badFormat.status != 0 && badFormat.stderr.contains("log-format"), "\(badFormat)")
  }

  @Test("--log with text format appends too; warnings go to the log")
  func textLog() throws {
    let sb = try Sandbox("text-log")
    defer { sb.cleanup() }
    let log = sb.dir + "/hull.log"
    let result = try sb.hull(
      ["--log", log, "--root", sb.root, "kill", "missing-one"], writeConfig: false, rootFlag: [])
    #expect(result.status != 0)
    let text = readText(log)
    #expect(text.contains("level=error") && text.contains("container does not exist"), "\(text)")
  }

  @Test("errors read `hull: <operation> <path>: <reason>`")
  func errorShape() throws {
    let sb = try Sandbox("error-shape")
    defer { sb.cleanup() }
    let id = sb.newID()
    let noBundle = try sb.hull(["create", "--bundle", sb.dir + "/no-such-bundle", id], writeConfig: false)
    #expect(noBundle.status != 0)
    let line = noBundle.stderr.trimmingCharacters(in: .newlines)
    #expect(
      line.range(
        of: #"^hull: [a-z].* /\S*no-such-bundle/config.json: no such file or directory$"#,
        options: .regularExpression) != nil, "\(noBundle)")
    #expect(!line.contains("\n"), "one line per error: \(noBundle)")
    sb.expectNothingLeft(id)

    sb.set("root.path", .string("no-such-rootfs"))
    let noRootfs = try sb.hull(["create", "--bundle", sb.bundle, id])
    #expect(noRootfs.status != 0)
    #expect(
      noRootfs.stderr.range(
        of: #"^hull: [a-z][^:]*.* /\S*no-such-rootfs: no such file or directory\n$"#,
        options: .regularExpression) != nil, "\(noRootfs)")
    sb.expectNothingLeft(id)
  }

  @Test("a missing executable: `no such file or directory` for a path, `executable file not found in $PATH` for a name")
  func missingExecutable() throws {
    let sb = try Sandbox("missing-exe")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["/no/such/binary"]))
    let absoluteID = sb.newID("abs")
    let absolute = try sb.runContainer(absoluteID)
    #expect(absolute.status != 0)
    #expect(absolute.stderr.hasPrefix("hull: "), "\(absolute)")
    #expect(absolute.stderr.contains("no such file or directory"), "\(absolute)")
    sb.expectNothingLeft(absoluteID)

    sb.set("process.args", jsonStrings(["no-such-command"]))
    let nameID = sb.newID("name")
    let byName = try sb.hull(["create", "--bundle", sb.bundle, nameID])
    #expect(byName.status != 0)
    #expect(byName.stderr.contains("executable file not found in $PATH"), "\(byName)")
    sb.expectNothingLeft(nameID)
  }

  @Test("--debug, --rootless, --no-new-keyring are accepted; --systemd-cgroup without systemd is a clear error")
  func globalFlags() throws {
    let sb = try Sandbox("global-flags")
    defer { sb.cleanup() }
    sb.script("echo ok")
    let debug = try sb.hull(
      [
        "--debug", "--root", sb.root, "--rootless", "false", "run", "--no-new-keyring", "--bundle", sb.bundle,
        sb.newID(),
      ], rootFlag: [])
    #expect(debug.status == 0 && debug.stdout == "ok\n", "\(debug)")
    if access("/run/systemd/system", F_OK) != 0 {
      let id = sb.newID("systemd")
      let systemd = try sb.hull(
        ["--systemd-cgroup", "--root", sb.root, "run", "--bundle", sb.bundle, id], rootFlag: [])
      #expect(systemd.status != 0 && systemd.stderr.contains("systemd"), "\(systemd)")
      sb.expectNothingLeft(id)
    }
  }

  @Test("unknown flags and missing values are errors")
  func badFlags() throws {
    let sb = try Sandbox("bad-flags")
    defer { sb.cleanup() }
    let unknown = try sb.hull(["create", "--no-such-flag", "x"], writeConfig: false)
    #expect(unknown.status != 0 && unknown.stderr.contains("--no-such-flag"), "\(unknown)")
    let missing = try sb.hull(["create", "x", "--bundle"], writeConfig: false)
    #expect(missing.status != 0 && missing.stderr.contains("bundle"), "\(missing)")
    let noID = try sb.hull(["state"], writeConfig: false)
    #expect(noID.status != 0 && noID.stderr.contains("container id"), "\(noID)")
    #expect(access(sb.root + "/x", F_OK) != 0)
  }

  @Test("spec adds a cgroup namespace only on a cgroup v2 host (runc); a config adding it itself then runs")
  func specCgroupNamespaceAsRunc() throws {
    let sb = try Sandbox("spec-cgroupns")
    defer { sb.cleanup() }
    let dir = sb.dir + "/spec"
    #expect(mkdir(dir, 0o755) == 0)
    #expect(try sb.hull(["spec", "--bundle", dir], writeConfig: false).status == 0)
    let generated = try JSON.parse(readText(dir + "/config.json"))
    let namespaces = generated["linux"]?["namespaces"]?.arrayValue ?? []
    let unified = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
    #expect(namespaces.contains { $0["type"]?.stringValue == "cgroup" } == unified, "\(namespaces)")
    // What docker and podman do on v1 hosts: add the cgroup namespace to the generated list.
    sb.set(
      "linux.namespaces", .array(namespaces + (unified ? [] : [.object(JSONObject([("type", .string("cgroup"))]))])))
    sb.script("cat /proc/self/cgroup")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
  }

  /// As runc: `hull COMMAND -h` is that command's help (name, usage, options), `hull foo -h`
  /// says there is no such help topic (exit 3); list -f json keeps runc's key order.
  @Test("COMMAND -h prints the command's help; foo -h: No help topic; list -f json in runc's key order")
  func helpAndListOrder() throws {
    let sb = try Sandbox("help")
    defer { sb.cleanup() }
    let kill = try sb.hull(["kill", "-h"], writeConfig: false)
    #expect(
      kill.status == 0 && kill.stdout.hasPrefix("NAME:\n   hull kill - ") && kill.stdout.contains("USAGE:")
        && kill.stdout.contains("--all, -a"), "\(kill)")
    let foo = try sb.hull(["foo", "-h"], writeConfig: false)
    #expect(foo.status == 3 && foo.stderr.contains("No help topic for 'foo'"), "\(foo)")
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "-b", sb.bundle, id]).status == 0)
    let list = try sb.hull(["list", "-f", "json"], writeConfig: false)
    let keys = (try JSON.parse(list.stdout)).arrayValue?.first?.objectValue?.keys ?? []
    #expect(
      Array(keys.prefix(8)) == ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"], "\(list)")
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  /// As runc's --debug: the log gets a line per step of create, start and exec, with timings.
  @Test("--debug writes each step of create, start and exec with its timing to the log")
  func debugSteps() throws {
    let sb = try Sandbox("debug")
    defer { sb.cleanup() }
    sb.set("process.args", jsonStrings(["sleep", "30"]))
    let id = sb.newID()
    let log = sb.dir + "/debug.log"
    #expect(try sb.hull(["--debug", "--log", log, "create", "--bundle", sb.bundle, id]).status == 0)
    #expect(try sb.hull(["--debug", "--log", log, "start", id], writeConfig: false).status == 0)
    #expect(try sb.hull(["--debug", "--log", log, "exec", id, "true"], writeConfig: false).status == 0)
    #expect(try sb.hull(["--log", log, "exec", id, "true"], writeConfig: false).status == 0)
    let lines = readText(log).split(separator: "\n").filter { $0.contains("level=debug") }
    for step in [
      "create \(id): planned", "create \(id): init cloned", "create \(id): init ready", "start \(id): init exec'd",
      "exec in \(id): process cloned", "exec in \(id): process exec'd",
    ] {
      #expect(lines.contains { $0.contains(step) && $0.contains(" ms in)") }, "no debug line for \(step): \(lines)")
    }
    #expect(lines.filter { $0.contains("exec in") }.count == 2, "debug lines without --debug: \(lines)")
    #expect(try sb.hull(["delete", "--force", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }
}
