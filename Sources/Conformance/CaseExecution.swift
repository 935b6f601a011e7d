// CaseExecution: runs one case against one runtime in its own bundle, state root and cgroupsPath,
// judges every step as it goes, and cleans up whatever happened (even after a timeout).
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a worker thread shares with its executions.
struct ExecutionEnvironment {
  let factory: BundleFactory
  let cleaner: CgroupCleaner
  let template: JSONValue
  let host: HostFeatures
  let hostMountNamespace: String
  let hostNamespaceInodes: [String: String]
  let callTimeout: Double
  /// The built seccomp agent, when a case asks for one.
  var agentBinary: String?
}

final class CaseExecution {
  let testCase: ConformanceCase
  let runtime: RuntimeUnderTest
  let env: ExecutionEnvironment
  let serial: Int
  let cgroupsPath: String
  /// systemdCgroup cases: the scope the container gets (cgroupsPath is then its systemd form).
  let systemd: SystemdPlacement?
  /// The cgroupsPath of the config the runtime got (after the case's mutations).
  var configCgroupsPath = ""
  let deadline: Date
  var bundle: OCIBundle?
  var driver: RuntimeDriver?
  var shared = ""
  var ids: [String: String] = [:]
  var pids: [String: Int32] = [:]
  var extraPids: [Int32] = []
  var placeholders: [String: String] = [:]
  var hookLines: [(line: String, during: String)] = []
  var log: [String] = []
  var helper: SpawnedProcess?
  var agent: SpawnedProcess?
  var console: ConsoleSocket?
  var consoleObservation: JSONValue = .null

  init(testCase: ConformanceCase, runtime: RuntimeUnderTest, env: ExecutionEnvironment, serial: Int) {
    self.testCase = testCase
    self.runtime = runtime
    self.env = env
    self.serial = serial
    self.systemd = testCase.systemdCgroup ? SystemdPlacement(runPrefix: env.cleaner.prefix, serial: serial) : nil
    self.cgroupsPath = systemd?.cgroupsPath ?? env.cleaner.prefix + "/\(serial)"
    self.deadline = Date().addingTimeInterval(testCase.timeout)
  }

  var remaining: Double { deadline.timeIntervalSinceNow }

  func run() -> CaseResult {
    let started = Date()
    var message = ""
    do {
      try setUp()
      for (index, step) in testCase.steps.enumerated() {
        guard remaining > 0 else {
          throw StepFailure(
            "case timed out after \(Int(testCase.timeout)) s, before step \(index + 1) (\(step.action.rawValue))")
        }
        do { try perform(step) } catch let f as StepFailure {
          throw StepFailure("step \(index + 1) (\(step.action.rawValue)): \(f.message)")
        }
      }
    } catch let f as StepFailure {
      message = f.message
    } catch {
      message = "harness: \(error)"
    }
    let cleanupStart = Date()
    cleanUp()
    log.append(String(format: "cleanup: %.0f ms", Date().timeIntervalSince(cleanupStart) * 1000))
    let seconds = Date().timeIntervalSince(started)
    if message.isEmpty { return CaseResult(caseID: testCase.id, status: .pass, seconds: seconds, log: log) }
    var text = "\(message) [\(testCase.requirement.citation)]"
    if let divergence = testCase.divergence { text += " (known divergence: \(divergence))" }
    return CaseResult(caseID: testCase.id, status: .fail, message: text, seconds: seconds, log: log)
  }

  // MARK: set-up and clean-up

  func setUp() throws {
    let name = "c\(serial)-\(runtime.name)-\(testCase.id)".replacingOccurrences(of: "/", with: "_")
    let scratch = env.factory.workDirectory + "/shared/" + name
    try? FileManager.default.removeItem(atPath: scratch)
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    chmod(scratch, 0o777)  // the container's user may be anyone
    shared = scratch
    let stateRoot = env.factory.workDirectory + "/state/" + name
    ids["main"] = "ddc-\(getpid())-\(serial)"
    placeholders = [
      "id": ids["main"]!, "shared": shared, "cgroupsPath": cgroupsPath,
      "bundle": env.factory.workDirectory + "/bundles/" + name,
      "rootfs": env.factory.workDirectory + "/bundles/" + name + "/rootfs",
    ]
    for (type, inode) in env.hostNamespaceInodes { placeholders["host.ns.\(type)"] = inode }
    if let systemd { placeholders.merge(systemd.placeholders) { $1 } }
    if testCase.helper { try startHelper() }
    if testCase.agent { try startAgent() }
    let config = try BundlePlan.config(
      template: env.template, for: testCase, cgroupsPath: cgroupsPath,
      sharedHostPath: shared, placeholders: placeholders)
    guard let root = config.anyValue as? [String: Any] else { throw StepFailure("config is not an object") }
    configCgroupsPath = config["linux"]?["cgroupsPath"]?.stringValue ?? cgroupsPath
    bundle = try env.factory.makeBundle(name: name, config: ConfigTree(root: root), strategy: .hardlinkCopy)
    for entry in testCase.symlinks {
      // The copy's directories are its own (only files are hard links): a link here changes no other case.
      let path = bundle!.rootfs + entry.link
      unlink(path)
      rmdir(path)
      guard symlink(entry.target, path) == 0 else {
        throw StepFailure("symlink \(path) -> \(entry.target): \(String(cString: strerror(errno)))")
      }
    }
    driver = RuntimeDriver(
      runtime: systemd == nil ? runtime : RuntimeProfiles.withSystemdCgroup(runtime),
      stateRoot: stateRoot, timeout: 20)
  }

  /// A process in new net/ipc/uts/cgroup/mount namespaces whose /proc/PID/ns/* a case can join by path.
  func startHelper() throws {
    guard let unshare = HostFeatures.which("unshare") else { throw StepFailure("helper: unshare is not installed") }
    let process = try SpawnedProcess.spawn(
      [unshare, "--net", "--ipc", "--uts", "--cgroup", "--mount", "--", "/bin/sleep", "600"],
      stdout: .null, stderr: .null)
    helper = process
    // unshare execs sleep once the namespaces exist; wait until the net namespace differs from ours.
    let ourNet = env.hostNamespaceInodes["net"] ?? ""
    for _ in 0..<200 {
      if let inode = Self.namespaceInode("/proc/\(process.pid)/ns/net"), inode != ourNet,
        (try? String(contentsOfFile: "/proc/\(process.pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true
      {
        break
      }
      usleep(5000)  // bounded: unshare needs a few ms; there is no event to wait on for an exec
    }
    placeholders["helper.pid"] = String(process.pid)
    for type in ["net", "ipc", "uts", "cgroup", "mnt"] {
      placeholders["helper.nspath.\(type)"] = "/proc/\(process.pid)/ns/\(type)"
      placeholders["helper.ns.\(type)"] = Self.namespaceInode("/proc/\(process.pid)/ns/\(type)") ?? "?"
    }
  }

  /// The seccomp agent at {{agent.socket}} (in the shared directory), for SCMP_ACT_NOTIFY cases.
  func startAgent() throws {
    guard let binary = env.agentBinary else { throw StepFailure("agent: the seccomp agent was not built") }
    let socket = shared + "/seccomp.sock"
    let out = shared + "/agent"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    agent = try SpawnedProcess.spawn(
      [binary, socket, out, String(EXDEV), String(Int(testCase.timeout) + 30)],
      stdout: .null, stderr: .null)
    // The agent renames its socket into place once it listens.
    let start = Date()
    while access(socket, F_OK) != 0 {
      guard Date().timeIntervalSince(start) < 10 else { throw StepFailure("agent: \(socket) never appeared") }
      usleep(5000)
    }
    placeholders["agent.socket"] = socket
  }

  /// Our child (the subreaper inherited it) or a member of this case's cgroup.
  func isOurs(_ pid: Int32) -> Bool {
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
    {
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      if fields.count > 1, Int32(fields[1]) == getpid() { return true }
    }
    let groups = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
    let own = systemd.map { "/system.slice/" + $0.scope } ?? cgroupsPath
    return groups.contains(":" + own + "\n") || groups.contains(":" + own + "/")
  }

  static func namespaceInode(_ path: String) -> String? {
    var info = stat()
    return stat(path, &info) == 0 ? String(info.st_ino) : nil
  }

  func cleanUp() {
    // Exited processes of ours (detached exec'd processes, the init) are zombies we must reap first:
    // a runtime's `delete --force` waits for every process of the container to be gone.
    for pid in Array(pids.values) + extraPids { ContainerWait.reap(pid) }
    if let driver {
      for id in Set(ids.values) { _ = try? driver.invoke(["delete", "--force", id], timeout: 10) }
    }
    // Only processes still provably ours are signalled: a pid we reaped earlier may belong to a stranger now.
    let leftovers = (Array(pids.values) + extraPids).filter { ContainerWait.isAlive($0) && isOurs($0) }
    for pid in leftovers { kill(pid, SIGKILL) }
    if let systemd {
      systemd.stopLeftovers(cgroupsPath: configCgroupsPath)
    } else {
      _ = env.cleaner.remove(cgroupsPath: cgroupsPath)
    }
    for pid in leftovers { _ = ContainerWait.waitForExit(pid: pid, timeout: 2) }
    for pid in Array(pids.values) + extraPids { ContainerWait.reap(pid) }
    if let helper {
      helper.signalGroup(SIGKILL)
      _ = helper.wait(timeout: 5)
    }
    if let agent {
      agent.signalGroup(SIGTERM)
      _ = agent.wait(timeout: 5)
    }
    console?.close()
    if let bundle { try? env.factory.removeBundle(bundle) }
    if let driver { try? FileManager.default.removeItem(atPath: driver.stateRoot) }
    try? FileManager.default.removeItem(atPath: shared)
  }

  // MARK: steps

  func id(for step: Step) -> String {
    if let literal = step.literalID { return literal }
    if let known = ids[step.container] { return known }
    let made = "ddc-\(getpid())-\(serial)-\(step.container)"
    ids[step.container] = made
    return made
  }

  func pidFile(_ container: String) -> String { bundle!.path + "/\(container).pid" }

  func callTimeout(_ step: Step) -> Double { max(0.5, min(step.timeout ?? env.callTimeout, remaining)) }

  func perform(_ step: Step) throws {
    guard let driver, let bundle else { throw StepFailure("no bundle") }
    let id = id(for: step)
    let timeout = callTimeout(step)
    var observation: JSONValue = .null
    var call: ProcessResult?
    var argv: [String] = []
    switch step.action {
    case .create, .run, .restore:
      // restore takes create's arguments (runc's CLI), its own (--image-path …) in extraArgs.
      argv = [step.action.rawValue, "--bundle", bundle.path, "--pid-file", pidFile(step.container)]
      if step.detach { argv.append("--detach") }
      if step.consoleSocket {
        // A short path: sun_path holds 108 bytes, the bundle path may be longer.
        let socket = try ConsoleSocket(path: NSTemporaryDirectory() + "ddc-\(getpid())-\(serial).sock")
        console = socket
        argv += ["--console-socket", socket.path]
      }
      argv += step.extraArgs.map { JSONValue.string($0).substituting(placeholders).text } + [id]
      // Files, not pipes: the container inherits these descriptors and outlives the call.
      let out = bundle.path + "/\(step.container).\(step.action.rawValue).out"
      let err = bundle.path + "/\(step.container).\(step.action.rawValue).err"
      var result = try driver.invoke(globals(step) + argv, stdout: .file(out), stderr: .file(err), timeout: timeout)
      result.stdout = Array((FileManager.default.contents(atPath: out) ?? Data()).prefix(65536))
      result.stderr = Array((FileManager.default.contents(atPath: err) ?? Data()).prefix(65536))
      call = result
      if let text = try? String(contentsOfFile: pidFile(step.container), encoding: .utf8),
        let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        pids[step.container] = pid
        if step.container == "main" {
          placeholders["pid"] = String(pid)
          // The init's own cgroup on the unified hierarchy (a runtime may place it below the path it was given:
          // crun's systemd driver uses <scope>/container).
          let groups = (try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)) ?? ""
          if let unified = groups.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            placeholders["cgroup.v2"] = String(unified.dropFirst(3))
          }
        }
      }
      if step.consoleSocket, let console { consoleObservation = console.receive(timeout: min(5, max(0.5, remaining))) }
      observation = .object(["exitCode": result.exitCode.map { .number(Double($0)) } ?? .null])
    case .start: argv = ["start", id]
    case .state: argv = ["state", id]
    case .kill: argv = ["kill"] + (step.all ? ["--all"] : []) + step.extraArgs + [id, step.signal ?? "TERM"]
    case .delete: argv = ["delete"] + (step.force ? ["--force"] : []) + step.extraArgs + [id]
    case .checkpoint: argv = ["checkpoint"] + step.extraArgs + [id]
    case .pause: argv = ["pause", id]
    case .resume: argv = ["resume", id]
    case .ps: argv = ["ps"] + (step.extraArgs.isEmpty ? ["--format", "json"] : step.extraArgs) + [id]
    case .events: argv = ["events"] + (step.extraArgs.isEmpty ? ["--stats"] : step.extraArgs) + [id]
    case .features: argv = ["features"] + step.extraArgs
    case .list: argv = ["list"] + (step.extraArgs.isEmpty ? ["--format", "json"] : step.extraArgs)
    case .version: argv = ["--version"]
    case .update:
      let json = step.document!.substituting(placeholders).serialized()
      if step.fromFile {
        let file = bundle.path + "/update-resources.json"
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        argv = ["update", "--resources=" + file] + step.extraArgs + [id]
        call = try driver.invoke(globals(step) + argv, timeout: timeout)
      } else {
        argv = ["update", "--resources", "-"] + step.extraArgs + [id]
        call = try driver.invoke(globals(step) + argv, input: .bytes(Array(json.utf8)), timeout: timeout)
      }
    case .exec:
      argv = ["exec"] + (step.detach ? ["--detach", "--pid-file", bundle.path + "/exec-\(extraPids.count).pid"] : [])
      argv += step.extraArgs
      if let document = step.document {
        let file = bundle.path + "/exec-process-\(extraPids.count).json"
        try document.substituting(placeholders).serialized().write(toFile: file, atomically: true, encoding: .utf8)
        argv += ["--process", file, id]
      } else {
        argv += [id] + step.args.map { JSONValue.string($0).substituting(placeholders).text }
      }
      call = try driver.invoke(globals(step) + argv, timeout: timeout)
      if step.detach,
        let text = try? String(contentsOfFile: bundle.path + "/exec-\(extraPids.count).pid", encoding: .utf8),
        let pid = Int32(text)
      {
        extraPids.append(pid)
      }
      observation = .object([
        "exitCode": call?.exitCode.map { .number(Double($0)) } ?? .null,
        "stdout": .string(call?.stdoutText ?? ""),
      ])
    case .waitExit, .probe, .hooks, .pidfile, .hostFile, .systemdUnit:
      observation = try observe(step, timeout: timeout)
    case .console:
      observation = consoleObservation
    }
    if call == nil && step.action.callsRuntime {
      call = try driver.invoke(
        globals(step) + argv.map { JSONValue.string($0).substituting(placeholders).text }, timeout: timeout)
      if let c = call {
        observation = JSONValue.parse(c.stdoutText) ?? .object(["text": .string(c.stdoutText)])
      }
    }
    if step.action.callsRuntime { recordHooks(during: step.action.rawValue) }
    log.append(
      "\(step.action.rawValue) \(id): "
        + (call.map { $0.timedOut ? "timed out" : "exit \($0.exitCode ?? -1)" } ?? "observed")
        + (call.map { String(format: " in %.0f ms", $0.wallMilliseconds) } ?? ""))
    try judge(step, call: call, observation: observation)
  }

  func globals(_ step: Step) -> [String] {
    step.globalArgs.map { JSONValue.string($0).substituting(placeholders).text }
  }

  func recordHooks(during action: String) {
    let text = (try? String(contentsOfFile: shared + "/hooks.log", encoding: .utf8)) ?? ""
    let lines = text.split(separator: "\n").map(String.init)
    for line in lines.dropFirst(hookLines.count) { hookLines.append((line, action)) }
  }

  func judge(_ step: Step, call: ProcessResult?, observation: JSONValue) throws {
    if let call {
      let err = call.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
      let takesID = ![.version, .features, .list].contains(step.action)
      let shown =
        "`\(runtime.name) \(step.action == .version ? "--version" : step.action.rawValue)\(takesID ? " " + id(for: step) : "")`"
      if call.timedOut { throw StepFailure("\(shown) timed out") }
      if step.expectSuccess == true && call.exitCode != 0 {
        let ending = call.signal.map { "killed by signal \($0)" } ?? "exit \(call.exitCode ?? -1)"
        throw StepFailure("\(shown) failed (\(ending)): \(err.prefix(300))")
      }
      if step.expectSuccess == false && call.exitCode == 0 {
        throw StepFailure("\(shown) succeeded, an error was required")
      }
      for m in step.stdout {
        if let f = m.failure(for: .string(call.stdoutText), placeholders: placeholders) {
          throw StepFailure("stdout: \(f)")
        }
      }
      for m in step.stderr {
        if let f = m.failure(for: .string(err), placeholders: placeholders) { throw StepFailure("stderr: \(f)") }
      }
    }
    if let want = step.exitCode {
      let seen = observation["exitCode"]?.numberValue.map { Int($0) } ?? call.flatMap { $0.exitCode.map(Int.init) }
      if seen != want { throw StepFailure("exit code: expected \(want), found \(seen.map(String.init) ?? "none")") }
    }
    let failures = step.checks.flatMap { $0.failures(in: observation, placeholders: placeholders) }
    if !failures.isEmpty { throw StepFailure(failures.joined(separator: "; ")) }
  }
}

struct StepFailure: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
