// Issue 16 item 1: SCMP_ACT_NOTIFY for create/run, with the real seccomp agent that drydock
// ships (conformance/agent/seccomp-agent.c): the agent gets the listener and the container
// process state with listenerMetadata; notified calls the init makes itself (execve, read,
// close, …) cannot deadlock it; a missing, abstract or dead agent fails create; hull run
// answers SIGTERM while the init waits on a notified call.
import Foundation
import Glibc
import OCISpec
import Testing

/// The agent, built once per sandbox, listening at `<dir>/agent.sock` and writing to `<dir>/agent`.
final class SeccompAgent {
  let socket: String
  let out: String
  let process: Spawned

  /// Answers mkdir/mkdirat with EXDEV, lets every other notified call go on.
  init(_ sb: Sandbox) throws {
    socket = sb.dir + "/agent.sock"
    out = sb.dir + "/agent"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let binary = sb.dir + "/seccomp-agent"
    let build = try run(
      [
        SecurityHost.cc!, "-O2", "-static", "-o", binary,
        HullTestEnv.repoRoot + "/conformance/agent/seccomp-agent.c",
      ], outputDir: sb.dir, timeout: 120)
    try #require(build.status == 0, "cannot build the seccomp agent: \(build)")
    process = try spawn([binary, socket, out, String(EXDEV), "120"], outputDir: sb.dir, timeout: 150)
    let deadline = Date().addingTimeInterval(10)
    while access(socket, F_OK) != 0 && Date() < deadline { usleep(10_000) }
    try #require(access(socket, F_OK) == 0, "the agent never listened")
  }

  private var stopped = false

  /// Before `expectNothingLeft`: the agent's command line names the sandbox.
  func stop() {
    guard !stopped else { return }
    stopped = true
    kill(process.pid, SIGCONT)
    kill(process.pid, SIGTERM)
    _ = process.wait()
  }

  var notified: [String] { readText(out + "/notified.log").split(separator: "\n").map(String.init) }
  func state(_ n: Int) -> JSONValue? { try? JSON.parse(Array(readText(out + "/state-\(n).json").utf8)) }
}

@Suite(
  "seccomp notify", .enabled(if: SecurityHost.cc != nil, "no C compiler (cc) to build the seccomp agent"),
  .enabled(if: SecurityHost.isX86_64, "the profiles and syscall numbers are x86_64's"))
struct SeccompNotifyTests {
  // x86_64 numbers (the profiles name SCMP_ARCH_X86_64): execve 59, mkdir 83.
  /// Notify rules on mkdir and on calls the init makes between loading the filter and its
  /// exec (and the shell after it), with and without no_new_privs (two load points).
  func configure(_ sb: Sandbox, agent: String, extraNames: [String], noNewPrivileges: Bool = true) {
    let names = (["mkdir", "mkdirat"] + extraNames).map { "\"\($0)\"" }.joined(separator: ",")
    sb.set(
      "linux.seccomp",
      json: """
        {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"listenerPath":"\(agent)",
         "listenerMetadata":"hull-test=1","syscalls":[{"names":[\(names)],"action":"SCMP_ACT_NOTIFY"}]}
        """)
    sb.set("process.noNewPrivileges", .bool(noNewPrivileges))
    sb.addMount(json: #"{"destination":"/tmp","type":"tmpfs","source":"tmpfs"}"#)
  }

  @Test(
    "run and create+start hand the listener to the agent; notified init calls do not deadlock",
    arguments: [true, false])
  func agentAnswers(noNewPrivileges: Bool) throws {
    let sb = try Sandbox("notify")
    defer { sb.cleanup() }
    let agent = try SeccompAgent(sb)
    defer { agent.stop() }
    configure(
      sb, agent: agent.socket,
      extraNames: ["execve", "openat", "read", "close", "recvfrom", "fcntl", "setresuid", "capset", "prctl"],
      noNewPrivileges: noNewPrivileges)
    sb.script("mkdir /tmp/x 2>&1; echo status=$?")
    let runID = sb.newID("run")
    let run = try sb.hull(["run", "--bundle", sb.bundle, runID], timeout: 20)
    #expect(
      run.status == 0 && run.stdout.contains("Invalid cross-device link") && run.stdout.contains("status=1"), "\(run)")
    let state = try #require(agent.state(0), "the agent got no state")
    #expect(
      state["metadata"]?.stringValue == "hull-test=1" && state["fds"] == .array([.string("seccompFd")]), "\(state)")
    #expect(state["state"]?["id"]?.stringValue == runID && (state["pid"]?.int64Value ?? 0) > 0, "\(state)")
    #expect(agent.notified.contains("59"), "execve was not notified: \(agent.notified)")

    let createdID = sb.newID("created")
    try sb.create(createdID)
    #expect(try sb.hull(["start", createdID], timeout: 20, writeConfig: false).status == 0)
    #expect(sb.waitForStatus(createdID, "stopped"))
    #expect(agent.state(1)?["state"]?["id"]?.stringValue == createdID)
    #expect(agent.notified.filter { $0 == "83" }.count == 2, "\(agent.notified)")
    #expect(try sb.hull(["delete", createdID], writeConfig: false).status == 0)
    agent.stop()
    sb.expectNothingLeft(runID)
    sb.expectNothingLeft(createdID)
  }

  @Test("a missing, abstract or dead listenerPath fails create: failed to connect with seccomp agent")
  func unreachableAgent() throws {
    let sb = try Sandbox("notify-missing")
    defer { sb.cleanup() }
    // A socket file nobody listens on: bound, then the listener closed.
    let dead = sb.dir + "/dead.sock"
    let bound = try run(
      ["/usr/bin/python3", "-c", "import socket; s = socket.socket(socket.AF_UNIX); s.bind('\(dead)')"],
      outputDir: sb.dir)
    try #require(bound.status == 0, "\(bound)")
    for (path, reason) in [
      (sb.dir + "/missing.sock", "no such file or directory"),
      ("@hull-test-abstract", "not an absolute path"), (dead, "connection refused"),
    ] {
      configure(sb, agent: path, extraNames: [])
      sb.script("mkdir /tmp/x")
      let id = sb.newID()
      let create = try sb.hull(["create", "--bundle", sb.bundle, id], timeout: 20)
      #expect(
        create.status == 1 && create.stderr.contains("failed to connect with seccomp agent")
          && create.stderr.contains(path) && create.stderr.contains(reason), "\(path): \(create)")
      sb.expectNothingLeft(id)
    }
  }

  @Test("hull run answers SIGTERM while the init waits on a notified execve")
  func runHearsSigterm() throws {
    let sb = try Sandbox("notify-sigterm")
    defer { sb.cleanup() }
    let agent = try SeccompAgent(sb)
    defer { agent.stop() }
    // A stopped agent: the connection and the listener sit in its socket, nobody answers.
    kill(agent.process.pid, SIGSTOP)
    configure(sb, agent: agent.socket, extraNames: ["execve"])
    sb.script("echo never")
    let id = sb.newID()
    let runner = try sb.hullSpawn(["run", "--bundle", sb.bundle, id], timeout: 30)
    // Wait until the init has loaded its filter (then it waits on the execve for good).
    let deadline = Date().addingTimeInterval(10)
    var blocked = false
    while !blocked && Date() < deadline {
      usleep(50_000)
      blocked = processesBelow(runner.pid).contains { readText("/proc/\($0)/status").contains("Seccomp:\t2") }
    }
    #expect(blocked, "the init never loaded its filter")
    usleep(300_000)
    #expect(processIsLive(runner.pid), "hull run did not wait: \(runner.wait())")
    let sent = Date()
    kill(runner.pid, SIGTERM)
    let result = runner.wait()
    #expect(Date().timeIntervalSince(sent) < 10, "hull run ignored SIGTERM")
    #expect(result.status != 0 && result.stderr.contains("signal 15"), "\(result)")
    #expect(!result.stdout.contains("never"))
    agent.stop()
    sb.expectNothingLeft(id)
  }

  /// Direct children of `pid`.
  func processesBelow(_ pid: Int32) -> [Int32] {
    readText("/proc/\(pid)/task/\(pid)/children").split(separator: " ").compactMap { Int32($0) }
  }
}
