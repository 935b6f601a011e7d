// BundlePlan: the config.json a case runs with, made from the template before the case's own mutations:
// an absolute cgroupsPath of ours, the probe as the process, a bind mount of the shared directory
// (where the probe and in-container hooks write), and the recording/failing hooks the case asked for.

public enum BundlePlan {
  /// Where the shared directory is seen inside the container.
  public static let sharedInside = "/.drydock"
  public static let probeInside = "/probe"

  public static func config(
    template: JSONValue, for testCase: ConformanceCase, cgroupsPath: String,
    sharedHostPath: String, placeholders: [String: String]
  ) throws -> JSONValue {
    var config = template
    config = try Mutation(.set, KeyPath(parsing: "linux.cgroupsPath"), .string(cgroupsPath)).apply(to: config)
    let args = [probeInside, "-o", sharedInside + "/probe.json"] + testCase.probe.arguments
    config = try Mutation(.set, KeyPath(parsing: "process.args"), .array(args.map { .string($0) })).apply(to: config)
    let sharedMount: JSONValue = .object([
      "destination": .string(sharedInside), "type": .string("bind"),
      "source": .string(sharedHostPath),
      "options": .array([.string("rbind"), .string("rw")]),
    ])
    config = try Mutation(.append, KeyPath(parsing: "mounts"), sharedMount).apply(to: config)
    for phase in HookRequest.phases {
      // A failing hook goes first, so the recorder after it shows whether the remaining hooks still ran.
      // It reads its stdin before failing: a runtime writing the state to a hook that already exited may die of
      // SIGPIPE (crun 1.8.1 does, now and then), which is another bug than the failure semantics checked here.
      var hooks: [JSONValue] = []
      if testCase.hooks.fail.contains(phase) {
        hooks.append(
          .object([
            "path": .string("/bin/sh"),
            "args": .array([.string("sh"), .string("-c"), .string("cat >/dev/null; exit 1")]),
          ]))
      }
      if testCase.hooks.record.contains(phase) { hooks.append(recorder(phase, sharedHostPath: sharedHostPath)) }
      for hook in hooks { config = try Mutation(.append, KeyPath(parsing: "hooks.\(phase)"), hook).apply(to: config) }
    }
    return try Mutation.apply(testCase.mutations, to: config, placeholders: placeholders)
  }

  /// A hook that appends "PHASE<TAB>mount-ns<TAB>state-json" to hooks.log. It writes to the host path when it
  /// sees it (runtime namespace) and to the in-container mount otherwise (startContainer runs inside).
  static func recorder(_ phase: String, sharedHostPath: String) -> JSONValue {
    let script =
      "d='\(sharedHostPath)'; [ -d \"$d\" ] || d='\(sharedInside)'; s=$(cat | tr -d '\\n'); "
      + "printf '%s\\t%s\\t%s\\n' \(phase) \"$(readlink /proc/self/ns/mnt)\" \"$s\" >> \"$d/hooks.log\""
    return .object([
      "path": .string("/bin/sh"), "args": .array([.string("sh"), .string("-c"), .string(script)]),
      "timeout": .number(10),
    ])
  }

  /// Turn hooks.log lines, tagged with the step each appeared during, into an observation object:
  /// {order: [...], during: {phase: step}, status: {phase: status}, id: {...}, pid: {...},
  ///  inHostMountNamespace: {phase: bool}, count: n, raw: [lines]}
  public static func hookObservation(lines: [(line: String, during: String)], hostMountNamespace: String) -> JSONValue {
    var order: [JSONValue] = []
    var raw: [JSONValue] = []
    var during: [String: JSONValue] = [:]
    var status: [String: JSONValue] = [:]
    var ids: [String: JSONValue] = [:]
    var pids: [String: JSONValue] = [:]
    var inHost: [String: JSONValue] = [:]
    var bundles: [String: JSONValue] = [:]
    for (line, step) in lines {
      let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
      raw.append(.string(line))
      guard fields.count == 3 else { continue }
      let phase = fields[0]
      order.append(.string(phase))
      guard during[phase] == nil else { continue }
      during[phase] = .string(step)
      inHost[phase] = .bool(fields[1] == hostMountNamespace)
      let state = JSONValue.parse(fields[2]) ?? .null
      status[phase] = state["status"] ?? .null
      ids[phase] = state["id"] ?? .null
      pids[phase] = state["pid"] ?? .null
      bundles[phase] = state["bundle"] ?? state["bundlePath"] ?? .null
    }
    return .object([
      "order": .array(order), "during": .object(during), "status": .object(status), "id": .object(ids),
      "pid": .object(pids), "bundle": .object(bundles), "inHostMountNamespace": .object(inHost),
      "count": .number(Double(order.count)), "raw": .array(raw),
    ])
  }
}
