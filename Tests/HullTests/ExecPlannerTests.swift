// `hull exec`'s request + the container's config → the exec'd process's plan, without root
// and without a container (runc's overrides: args, tty, cwd, env, user, groups, caps, NNP).
import Glibc
import OCISpec
import Testing

@testable import RuntimeCore

@Suite("exec planner") struct ExecPlannerTests {
  static func plan(_ edit: (inout ExecRequest) -> Void, spec change: (inout Spec) -> Void = { _ in }) throws -> ExecPlan
  {
    var request = ExecRequest()
    request.command = ["ps", "-ef"]
    edit(&request)
    return try ExecPlanner.plan(
      request, id: "unit", bundle: "/bundles/unit", spec: try PlannerTests.spec(change),
      seccompCacheDirectory: nil, host: FakeHost())
  }

  static func refusal(_ edit: (inout ExecRequest) -> Void) -> RuntimeError? {
    do { _ = try plan(edit) } catch let error as RuntimeError { return error } catch {
      Issue.record("not a RuntimeError: \(error)")
    }
    return nil
  }

  @Test("the command replaces the config's args; cwd, env (by key), user, groups, capabilities and NNP are overridden")
  func overrides() throws {
    let plan = try Self.plan { request in
      request.cwd = "/tmp"
      request.env = ["TERM=dumb", "NEW=1"]
      request.user = "1000:100"
      request.additionalGids = ["5,6", "7"]
      request.capabilities = ["CAP_CHOWN"]
      request.noNewPrivileges = true
    } spec: {
      $0.process?.noNewPrivileges = false
    }
    let p = plan.process
    #expect(p.args == ["ps", "-ef"] && p.cwd == "/tmp")
    #expect(p.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=dumb", "NEW=1"])
    #expect(p.uid == 1000 && p.gid == 100 && p.additionalGids == [5, 6, 7] && p.noNewPrivileges)
    #expect(
      p.capabilities.map {
        $0.bounding.contains(0) && $0.effective.contains(0) && $0.ambient.contains(0) && !$0.inheritable.contains(0)
      } == true)
    // --user with a uid only keeps the config's gid; "" keeps the config's user.
    #expect(try Self.plan({ $0.user = "7" }, spec: { $0.process?.user = User(uid: 1, gid: 2) }).process.gid == 2)
    #expect(try Self.plan({ $0.user = "" }, spec: { $0.process?.user = User(uid: 1, gid: 2) }).process.uid == 1)
  }

  @Test("--process is used as given: the overrides do not apply")
  func processFile() throws {
    let plan = try Self.plan { request in
      request.process = Process(args: ["/bin/own"], cwd: "/own")
      request.cwd = "/ignored"
      request.user = "5"
    }
    #expect(plan.process.args == ["/bin/own"] && plan.process.cwd == "/own" && plan.process.uid == 0)
  }

  @Test("bad requests are refused naming the flag")
  func refusals() {
    #expect(Self.refusal { $0.command = [] }?.reason.contains("a command is required") == true)
    #expect(Self.refusal { $0.user = "root" }?.reason.contains("--user \"root\"") == true)
    #expect(Self.refusal { $0.user = "1:x" }?.reason.contains("uid[:gid]") == true)
    #expect(Self.refusal { $0.user = "4294967295" }?.reason.contains("--user") == true)
    #expect(Self.refusal { $0.additionalGids = ["1,x"] }?.reason.contains("--additional-gids") == true)
    #expect(Self.refusal { $0.cgroups = ["memory:"] }?.reason.contains("--cgroup") == true)
    // A terminal needs a console: --console-socket, or exec's own when it is not detached.
    #expect(
      Self.refusal {
        $0.tty = true
        $0.detach = true
      }?.reason.contains("--console-socket") == true)
    #expect(Self.refusal { $0.tty = true } == nil)
  }

  @Test("the launcher's options: --cgroup in runc's format, detach, pid file, console socket, ignore-paused")
  func options() throws {
    let plan = try Self.plan { request in
      request.cgroups = ["memory,pids:sub", "other"]
      request.detach = true
      request.pidFile = "/run/p.pid"
      request.consoleSocket = "/run/c.sock"
      request.ignorePaused = true
    }
    let o = plan.options
    #expect(o.subCgroups == ["memory": "sub", "pids": "sub", "": "other"])
    #expect(o.detach && o.pidFile == "/run/p.pid" && o.consoleSocket == "/run/c.sock" && o.ignorePaused)
  }

  @Test(
    "the container's seccomp filter goes to the exec'd process; a notifying one with the running state for its agent")
  func seccomp() throws {
    let plan = try Self.plan(
      { _ in },
      spec: { spec in
        spec.linux?.seccomp = Seccomp(
          defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock",
          syscalls: [Syscall(names: ["getppid"], action: "SCMP_ACT_NOTIFY")])
      })
    #expect(plan.process.seccomp?.usesNotify == true && plan.process.seccompListenerPath == "/run/agent.sock")
    let state = try #require(plan.process.listenerState)
    #expect(state.status == .running && state.id == "unit" && state.bundle == "/bundles/unit")
    #expect(try Self.plan { _ in }.process.seccomp == nil)
  }
}
