// CaseModel: one conformance case as declared in conformance/cases/<area>/<id>.yaml.
// The file format is documented in conformance/README.md; CaseLoader turns YAML into these values
// and rejects anything it does not understand, so a typo never silently weakens a case.

public enum RequirementLevel: String, Sendable, CaseIterable, Comparable {
  case must = "MUST"
  case should = "SHOULD"
  case may = "MAY"
  public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// The spec sentence a case checks: where it is, how strong it is, and its text (or a short key).
public struct Requirement: Sendable, Equatable {
  public static let documents = [
    "runtime.md", "runtime-linux.md", "config.md", "config-linux.md", "features.md",
    "features-linux.md", "runc-cli",
  ]
  public var document: String
  public var section: String
  public var level: RequirementLevel
  public var text: String
  /// Spec versions the sentence applies to, e.g. "1.1+" or "1.0.2"; nil: all of 1.0-1.3.
  public var versions: String?

  /// "config-linux.md#Namespaces MUST" — the citation used in reports.
  public var citation: String { "\(document)#\(section) \(level.rawValue)" + (versions.map { " (spec \($0))" } ?? "") }
}

public enum StepAction: String, Sendable, CaseIterable {
  // runtime calls
  case create, start, run, state, kill, delete, exec, pause, resume, ps, update, events, features, list, version
  case checkpoint, restore
  // observations made by drydock itself
  case waitExit = "wait-exit"
  case probe, hooks, pidfile
  case hostFile = "host-file"
  case console
  case systemdUnit = "systemd-unit"

  public var callsRuntime: Bool {
    switch self {
    case .waitExit, .probe, .hooks, .pidfile, .hostFile, .console, .systemdUnit: return false
    default: return true
    }
  }
}

public struct Step: Sendable, Equatable {
  public var action: StepAction
  /// Which container of the case ("main" unless a case runs several from the same bundle).
  public var container: String = "main"
  /// Use this literal id instead of the case's generated one (unknown-id cases).
  public var literalID: String?
  public var signal: String?
  public var all = false
  public var force = false
  public var detach = false
  /// exec: the command; run: extra args. Placeholders allowed.
  public var args: [String] = []
  /// exec --process: a Process JSON; update: the LinuxResources JSON (sent on stdin).
  public var document: JSONValue?
  /// probe: the report file in the shared directory; host-file: a host path (placeholders allowed).
  public var file: String?
  /// systemd-unit: the unit whose properties are observed (placeholders allowed; default {{systemd.scope}}).
  public var unit: String?
  /// Extra CLI arguments put before the container id.
  public var extraArgs: [String] = []
  /// Global CLI arguments put before the subcommand (e.g. --log FILE --log-format json). Placeholders allowed.
  public var globalArgs: [String] = []
  /// update: pass the resources as a file, `--resources=FILE` (podman's form), instead of `--resources -` on stdin.
  public var fromFile = false
  /// create/run: pass --console-socket and receive the pty master (observed by a later `console` step).
  public var consoleSocket = false
  /// Expected success (true) or failure (false) of a runtime call; nil: not judged.
  public var expectSuccess: Bool?
  public var exitCode: Int?
  public var stdout: [Matcher] = []
  public var stderr: [Matcher] = []
  public var checks: [Check] = []
  public var timeout: Double?

  public init(action: StepAction) { self.action = action }
}

/// What the runner puts in the bundle before the case's own mutations.
public struct ProbeRequest: Sendable, Equatable {
  public var paths: [String] = []
  public var sysctls: [String] = []
  public var files: [String] = []
  public var syscalls: [String] = []
  /// Actions after the report (sleep N, exit N, wait, ...).
  public var then: [String] = []
  public init() {}

  public var arguments: [String] {
    paths.flatMap { ["-p", $0] } + sysctls.flatMap { ["-s", $0] } + files.flatMap { ["-f", $0] }
      + syscalls.flatMap { ["-c", $0] } + then
  }
}

public struct HookRequest: Sendable, Equatable {
  public static let phases = [
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  ]
  /// Phases given a hook that appends its name and the state it read to the shared hooks.log.
  public var record: [String] = []
  /// Phases given a hook that exits 1 (after the recorder).
  public var fail: [String] = []
  public init() {}
}

public struct CaseSymlink: Sendable, Equatable {
  public var link: String
  public var target: String
}

public struct ConformanceCase: Sendable, Equatable {
  public var id: String
  public var area: String
  public var file: String
  public var summary: String
  public var requirement: Requirement
  public var needs: [String] = []
  public var mutations: [Mutation] = []
  public var probe = ProbeRequest()
  public var hooks = HookRequest()
  /// Start a helper process in new net/ipc/uts/cgroup/mount namespaces, for cases that join namespaces by path.
  public var helper = false
  /// Symlinks made in the case's own rootfs copy before the runtime runs (link → target, not resolved).
  public var symlinks: [CaseSymlink] = []
  /// Start drydock's seccomp agent (conformance/agent/seccomp-agent.c) at {{agent.socket}}; it writes
  /// what it received under {{shared}}/agent and answers mkdir/mkdirat with EXDEV.
  public var agent = false
  /// The runtime's systemd cgroup driver: cgroupsPath in systemd form (system.slice:<prefix>:<name>, see
  /// SystemdPlacement) and `--systemd-cgroup` on every runtime call. Needs `systemd`.
  public var systemdCgroup = false
  public var steps: [Step] = []
  public var timeout: Double = 30
  /// Known runtime divergences, quoted in failure messages (never used to decide a verdict).
  public var divergence: String?
}
