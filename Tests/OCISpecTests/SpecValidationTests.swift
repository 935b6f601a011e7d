import Testing

@testable import OCISpec

/// One broken config: edits applied to the default spec, and the error path expected.
struct Case: CustomTestStringConvertible, Sendable {
  let edits: [(String, JSONValue?)]
  let path: String
  let reason: String
  init(_ path: String, _ reason: String, _ edits: [(String, JSONValue?)]) {
    self.edits = edits
    self.path = path
    self.reason = reason
  }
  var testDescription: String { path }
}

private func strs(_ s: String...) -> JSONValue { .array(s.map(JSONValue.string)) }
private let userNS: JSONValue = json(#"[{"type": "user"}, {"type": "mount"}, {"type": "uts"}]"#)
private let maps: JSONValue = json(#"[{"containerID": 0, "hostID": 1000, "size": 1}]"#)

@Suite struct SpecValidationTests {
  @Test func baseSpecIsValid() {
    #expect(specError(baseSpec) == nil)
    #expect(specError(DefaultSpec.value(rootless: true, uid: 1000, gid: 1000)) == nil)
    #expect(specError(json(fullConfig)) == nil)
    // Type bits in fileMode (st_mode copied as is) are tolerated.
    #expect(
      specError(
        setting(
          baseSpec, "linux.devices",
          json(#"[{"type": "c", "path": "/dev/a", "major": 1, "minor": 3, "fileMode": 8630}]"#))) == nil)
  }

  static let cases: [Case] = [
    Case("ociVersion", "required field is missing", [("ociVersion", nil)]),
    Case(
      "ociVersion", #"unsupported version "2.0.0" (hull supports 1.0.0 to 1.3.x)"#, [("ociVersion", .string("2.0.0"))]),
    Case("root", "required field is missing", [("root", nil)]),
    Case("root.path", "must name the root filesystem", [("root.path", .string(""))]),
    Case("process.args", "must contain at least the program", [("process.args", .array([]))]),
    Case("process.args", "must contain at least the program", [("process.args", nil)]),
    Case("process.cwd", #"must be an absolute path, got "work""#, [("process.cwd", .string("work"))]),
    Case("process.cwd", "must be an absolute path", [("process.cwd", nil)]),
    Case(
      "process.rlimits[0].type", #"unknown rlimit "RLIMIT_FOO""#, [("process.rlimits[0].type", .string("RLIMIT_FOO"))]),
    Case(
      "process.rlimits[1].type", #"duplicate rlimit "RLIMIT_NOFILE""#,
      [("process.rlimits[1]", json(#"{"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1}"#))]),
    Case(
      "process.rlimits[0].soft", "soft limit 2048 exceeds hard limit 1024", [("process.rlimits[0].soft", .int(2048))]),
    Case(
      "process.capabilities.effective[1]", #"invalid capability name "cap_kill""#,
      [("process.capabilities.effective", strs("CAP_KILL", "cap_kill"))]),
    Case(
      "process.capabilities.ambient[0]", #"invalid capability name "CAP_""#,
      [("process.capabilities.ambient", strs("CAP_"))]),
    Case("process.oomScoreAdj", "-1001 is outside", [("process.oomScoreAdj", .int(-1001))]),
    Case("process.user.umask", "is not a file mode", [("process.user.umask", .int(0o10000))]),
    Case(
      "process.ioPriority.class", #"unknown I/O priority class "IOPRIO_CLASS_NONE""#,
      [("process.ioPriority", json(#"{"class": "IOPRIO_CLASS_NONE", "priority": 0}"#))]),
    Case(
      "process.ioPriority.priority", "8 is outside 0",
      [("process.ioPriority", json(#"{"class": "IOPRIO_CLASS_BE", "priority": 8}"#))]),
    Case(
      "process.scheduler.policy", #"unknown scheduler policy "SCHED_FAST""#,
      [("process.scheduler", json(#"{"policy": "SCHED_FAST"}"#))]),
    Case(
      "process.scheduler.flags[1]", #"unknown scheduler flag "SCHED_FLAG_X""#,
      [("process.scheduler", json(#"{"policy": "SCHED_FIFO", "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_X"]}"#))]),
    Case(
      "process.scheduler.nice", "20 is outside -20 to 19",
      [("process.scheduler", json(#"{"policy": "SCHED_OTHER", "nice": 20}"#))]),
    Case(
      "hostname", "can only be set with a new UTS namespace",
      [("hostname", .string("h")), ("linux.namespaces", json(#"[{"type": "mount"}]"#))]),
    Case(
      "domainname", "can only be set with a new UTS namespace",
      [("hostname", nil), ("domainname", .string("d")), ("linux.namespaces", json(#"[{"type": "pid"}]"#))]),
    Case("mounts[2].destination", "must not be empty", [("mounts[2].destination", .string(""))]),
    Case(
      "hooks.poststart[1].path", #"must be an absolute path, got "hook""#,
      [("hooks.poststart", json(#"[{"path": "/bin/ok"}, {"path": "hook"}]"#))]),
    Case(
      "hooks.createRuntime[0].timeout", "must be a positive number of seconds, got 0",
      [("hooks.createRuntime", json(#"[{"path": "/bin/h", "timeout": 0}]"#))]),
    Case(
      "linux.namespaces[2].type", #"duplicate namespace "pid""#, [("linux.namespaces[2]", json(#"{"type": "pid"}"#))]),
    Case(
      "linux.namespaces[0].path", "must be an absolute path", [("linux.namespaces[0].path", .string("proc/1/ns/pid"))]),
    Case(
      "linux.uidMappings", "required when a new user namespace is created",
      [("linux.namespaces", userNS), ("linux.gidMappings", maps)]),
    Case(
      "linux.gidMappings", "required when a new user namespace is created",
      [("linux.namespaces", userNS), ("linux.uidMappings", maps)]),
    Case("linux.uidMappings", "set, but no user namespace is created", [("linux.uidMappings", maps)]),
    Case(
      "linux.gidMappings[0].size", "must be at least 1",
      [
        ("linux.namespaces", userNS), ("linux.uidMappings", maps),
        ("linux.gidMappings", json(#"[{"containerID": 0, "hostID": 1000, "size": 0}]"#)),
      ]),
    Case(
      "linux.timeOffsets", "requires a time namespace", [("linux.timeOffsets", json(#"{"monotonic": {"secs": 1}}"#))]),
    Case(
      "linux.timeOffsets", "joining an existing time namespace",
      [
        ("linux.namespaces[6]", json(#"{"type": "time", "path": "/proc/1/ns/time"}"#)),
        ("linux.timeOffsets", json(#"{"boottime": {"secs": 1}}"#)),
      ]),
    Case(
      "linux.timeOffsets.boottime.nanosecs", "not below one second",
      [
        ("linux.namespaces[6]", json(#"{"type": "time"}"#)),
        ("linux.timeOffsets", json(#"{"boottime": {"secs": 1, "nanosecs": 1000000000}}"#)),
      ]),
    Case(
      "linux.devices[0].type", #"unknown device type "x""#,
      [("linux.devices", json(#"[{"type": "x", "path": "/dev/x"}]"#))]),
    Case(
      "linux.devices[0].major", #"required for device type "c""#,
      [("linux.devices", json(#"[{"type": "c", "path": "/dev/x", "minor": 1}]"#))]),
    Case(
      "linux.devices[0].minor", #"required for device type "b""#,
      [("linux.devices", json(#"[{"type": "b", "path": "/dev/x", "major": 1}]"#))]),
    Case(
      "linux.devices[1].path", #"must be an absolute path, got "dev/null""#,
      [
        (
          "linux.devices",
          json(
            #"[{"type": "u", "path": "/dev/a", "major": 1, "minor": 3}, {"type": "c", "path": "dev/null", "major": 1, "minor": 3}]"#
          )
        )
      ]),
    Case(
      "linux.rootfsPropagation", #"unknown propagation "recursive""#,
      [("linux.rootfsPropagation", .string("recursive"))]),
    Case(
      "linux.seccomp.defaultAction", #"unknown seccomp action "SCMP_ACT_DENY""#,
      [("linux.seccomp", json(#"{"defaultAction": "SCMP_ACT_DENY"}"#))]),
    Case(
      "linux.seccomp.syscalls[0].action", #"unknown seccomp action "ALLOW""#,
      [
        (
          "linux.seccomp",
          json(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "ALLOW"}]}"#)
        )
      ]),
    Case(
      "linux.seccomp.syscalls[0].args[0].op", #"unknown seccomp operator "SCMP_CMP_XX""#,
      [
        (
          "linux.seccomp",
          json(
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]}"#
          )
        )
      ]),
    Case(
      "linux.seccomp.syscalls[0].args[0].index", "6 is not an argument position",
      [
        (
          "linux.seccomp",
          json(
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#
          )
        )
      ]),
    Case(
      "linux.seccomp.syscalls[0].names", "must name at least one system call",
      [
        (
          "linux.seccomp",
          json(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}"#)
        )
      ]),
    Case(
      "linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY is used",
      [
        (
          "linux.seccomp",
          json(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]}"#)
        )
      ]),
    Case(
      "linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY is used",
      [("linux.seccomp", json(#"{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": ""}"#))]),
    Case(
      "linux.seccomp.architectures[0]", #"unknown architecture "x86_64""#,
      [("linux.seccomp", json(#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]}"#))]),
    Case(
      "linux.seccomp.flags[0]", #"unknown seccomp flag "FLAG""#,
      [("linux.seccomp", json(#"{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["FLAG"]}"#))]),
    Case(
      "linux.personality.domain", #"unknown personality domain "LINUX64""#,
      [("linux.personality", json(#"{"domain": "LINUX64"}"#))]),
    Case(
      "linux.memoryPolicy.mode", #"unknown memory policy mode "MPOL_FAST""#,
      [("linux.memoryPolicy", json(#"{"mode": "MPOL_FAST"}"#))]),
    Case(
      "linux.memoryPolicy.flags[0]", "unknown memory policy flag",
      [("linux.memoryPolicy", json(#"{"mode": "MPOL_BIND", "flags": ["X"]}"#))]),
    Case("linux.sysctl", "a key is empty", [("linux.sysctl", json(#"{"": "1"}"#))]),
    Case("linux.maskedPaths[1]", "must be an absolute path", [("linux.maskedPaths[1]", .string("proc/kcore"))]),
    Case("linux.readonlyPaths[0]", "must be an absolute path", [("linux.readonlyPaths[0]", .string(""))]),
    Case(
      "linux.resources.devices[1].type", #"unknown device type "x""#,
      [("linux.resources.devices[1]", json(#"{"allow": true, "type": "x"}"#))]),
    Case(
      "linux.resources.devices[0].access", #""rwx" is not a combination"#,
      [("linux.resources.devices[0].access", .string("rwx"))]),
    Case(
      "linux.resources.hugepageLimits[0].pageSize", "must not be empty",
      [("linux.resources.hugepageLimits", json(#"[{"pageSize": "", "limit": 1}]"#))]),
    Case(
      "linux.resources.unified.cgroup.procs", "the runtime manages this file",
      [("linux.resources.unified", json(#"{"cgroup.procs": "1"}"#))]),
    Case(
      "linux.resources.unified.CGROUP.Subtree_Control", "the runtime manages this file",
      [("linux.resources.unified", json(#"{"memory.max": "1", "CGROUP.Subtree_Control": "+cpu"}"#))]),
    Case(
      "linux.resources.unified.cgroup.threads", "the runtime manages this file",
      [("linux.resources.unified", json(#"{"cgroup.threads": "1"}"#))]),
    Case(
      "linux.resources.unified.memorymax", "not a cgroup v2 interface file",
      [("linux.resources.unified", json(#"{"memorymax": "1"}"#))]),
    Case(
      "linux.resources.unified.../x.y", "not a cgroup v2 interface file",
      [("linux.resources.unified", json(#"{"../x.y": "1"}"#))]),
  ]

  @Test(arguments: cases)
  func rejects(_ c: Case) {
    let e = specError(setting(baseSpec, c.edits))
    #expect(e?.path == c.path, "got \(e?.description ?? "no error")")
    #expect(e?.reason.contains(c.reason) == true, "got \(e?.description ?? "no error")")
  }

  @Test func errorDescription() {
    let e = specError(setting(baseSpec, "ociVersion", .string("2.0.0")))
    #expect(e?.description == #"ociVersion: unsupported version "2.0.0" (hull supports 1.0.0 to 1.3.x)"#)
    #expect(SpecError(path: "", reason: "just this").description == "just this")
    let rl = specError(
      setting(
        baseSpec, "process.rlimits",
        json(
          #"[{"type":"RLIMIT_AS","hard":1,"soft":1},{"type":"RLIMIT_CORE","hard":1,"soft":1},{"type":"RLIMIT_FOO","hard":1,"soft":1}]"#
        )))
    #expect(rl?.description.hasPrefix(#"process.rlimits[2].type: unknown rlimit "RLIMIT_FOO""#) == true)
  }

  @Test(arguments: [
    ("1.0.0", true), ("1.0.2", true), ("1.0.2-dev", true), ("1.1.0-rc.1", true), ("1.2.1", true), ("1.3.0", true),
    ("1.3.7", true), ("1.2.0+build.5", true), ("1.0.0-rc5", true),
    ("2.0.0", false), ("1.4.0", false), ("0.9", false), ("0.9.0", false), ("abc", false), ("", false), ("1.2", false),
    ("1.2.3.4", false), ("01.2.3", false), ("1.2.x", false), ("1.2.3-", false), (" 1.2.3", false), ("v1.2.3", false),
    ("1..3", false),
  ])
  func versionAcceptance(version: String, accepted: Bool) {
    #expect(isSupportedOCIVersion(version) == accepted)
    let e = specError(setting(baseSpec, "ociVersion", .string(version)))
    if accepted {
      #expect(e == nil, "\(version): \(e?.description ?? "")")
    } else {
      #expect(e?.path == "ociVersion")
    }
  }

  @Test(arguments: [
    ("linux.namespaces[1].type", JSONValue.int(3), "linux.namespaces[1].type: expected a string, got a number"),
    ("linux.namespaces[1].type", JSONValue.string("net"), "linux.namespaces[1].type: unknown namespace type \"net\""),
    ("process.terminal", JSONValue.string("yes"), "process.terminal: expected a boolean, got a string"),
    ("process.args", JSONValue.string("sh"), "process.args: expected an array of strings, got a string"),
    ("process.args[0]", JSONValue.int(1), "process.args[0]: expected a string, got a number"),
    ("process.user", JSONValue.array([]), "process.user: expected an object, got an array"),
    (
      "process.user.uid", JSONValue.int(-1),
      "process.user.uid: -1 is out of range (unsigned 32-bit integer, 0 to 4294967295)"
    ),
    ("process.user.uid", JSONValue.int(4_294_967_296), "process.user.uid: 4294967296 is out of range"),
    ("process.user.gid", JSONValue.double(1.5), "process.user.gid: expected an integer, got 1.5"),
    ("process.user.uid", JSONValue.int(4_294_967_295), "process.user.uid: 4294967295 is outside 0 to 2147483647"),
    ("process.user.gid", JSONValue.int(2_147_483_648), "process.user.gid: 2147483648 is outside 0 to 2147483647"),
    (
      "process.user.additionalGids", json("[1, 4294967295]"),
      "process.user.additionalGids[1]: 4294967295 is outside 0 to 2147483647"
    ),
    (
      "process.user.additionalGids", json(#"[1, "5"]"#),
      "process.user.additionalGids[1]: expected an integer, got a string"
    ),
    ("process.oomScoreAdj", JSONValue.bool(true), "process.oomScoreAdj: expected an integer, got a boolean"),
    (
      "process.rlimits[0].hard", JSONValue.double(18446744073709551616.0),
      "process.rlimits[0].hard: 1.8446744073709552e+19 is out of range"
    ),
    ("process.rlimits[0].hard", nil, "process.rlimits[0].hard: required field is missing"),
    (
      "process.consoleSize", json(#"{"height": 70000, "width": 1}"#),
      "process.consoleSize.height: 70000 is out of range"
    ),
    ("mounts", JSONValue.object(JSONObject()), "mounts: expected an array, got an object"),
    ("mounts[1]", JSONValue.string("/x"), "mounts[1]: expected an object, got a string"),
    ("mounts[1].destination", nil, "mounts[1].destination: required field is missing"),
    ("annotations", json(#"{"a": 1}"#), "annotations.a: expected a string, got a number"),
    (
      "linux.resources.memory", json(#"{"limit": "512m"}"#),
      "linux.resources.memory.limit: expected an integer, got a string"
    ),
    ("linux.resources.blockIO", json(#"{"weight": 70000}"#), "linux.resources.blockIO.weight: 70000 is out of range"),
    (
      "linux.resources.rdma", json(#"{"mlx": {"hcaHandles": -1}}"#),
      "linux.resources.rdma.mlx.hcaHandles: -1 is out of range"
    ),
    ("linux.timeOffsets", json(#"{"realtime": {"secs": 1}}"#), "linux.timeOffsets.realtime: unknown clock"),
    ("linux.seccomp", json(#"{"syscalls": []}"#), "linux.seccomp.defaultAction: required field is missing"),
    ("linux.sysctl", JSONValue.array([]), "linux.sysctl: expected an object, got an array"),
  ])
  func wrongTypes(path: String, value: JSONValue?, message: String) {
    let e = specError(setting(baseSpec, path, value))
    #expect(e?.description.hasPrefix(message) == true, "got \(e?.description ?? "no error")")
  }

  @Test func hostileInputs() {
    let base = JSON.serialize(baseSpec)
    // Text edits, since these are not values a JSONValue can hold.
    let uid1e400 = base.replacingFirst(#""uid":0"#, with: #""uid":1e400"#)
    #expect(specError(bytes: Array(uid1e400.utf8))?.reason.hasPrefix("invalid JSON: line 1, column") == true)
    #expect(specError(bytes: Array(uid1e400.utf8))?.reason.hasSuffix("number 1e400 is out of range") == true)
    let hard = base.replacingFirst(#""hard":1024"#, with: #""hard":18446744073709551616"#)
    #expect(specError(bytes: Array(hard.utf8))?.path == "process.rlimits[0].hard")
    let negUID = base.replacingFirst(#""uid":0"#, with: #""uid":-1"#)
    #expect(specError(bytes: Array(negUID.utf8))?.path == "process.user.uid")
    // Truncated documents are JSON errors at the top level, never a crash.
    let bytes = Array(base.utf8)
    for cut in stride(from: 0, to: bytes.count, by: 7) {
      let e = specError(bytes: Array(bytes[..<cut]))
      #expect(e?.path == "" && e?.reason.hasPrefix("invalid JSON: ") == true)
    }
    #expect(specError(bytes: Array("[]".utf8))?.description == "expected a JSON object at the top level, got an array")
    #expect(
      specError(bytes: [])?.description == "invalid JSON: line 1, column 1: expected a JSON value, found end of input")
    let deep = String(repeating: "[", count: 100_000)
    #expect(specError(bytes: Array(#"{"process":"#.utf8) + Array(deep.utf8))?.reason.contains("nesting deeper") == true)
  }
}

extension String {
  func replacingFirst(_ target: String, with replacement: String) -> String {
    let t = Array(target.utf8)
    let s = Array(self.utf8)
    guard t.count <= s.count else { return self }
    for i in 0...(s.count - t.count) where Array(s[i..<(i + t.count)]) == t {
      return String(decoding: s[..<i] + Array(replacement.utf8) + s[(i + t.count)...], as: UTF8.self)
    }
    return self
  }
}
