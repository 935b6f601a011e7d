// ReportBuilder: turns the raw maps and events of a BPFSession into a TraceReport: counts per syscall and bucket,
// per-process totals, the timeline of key events and the start-latency breakdown.
import CBPF
import Foundation

public struct RawTrace {
  /// [bucket][nr].
  public var stats: [[dd_stat]]
  public var processes: [UInt32: dd_proc]
  public var events: [dd_event]
  public var lostEvents: Int
  public var droppedTasks: Int
  /// Indexed by invocation.
  public var rootPids: [Int32]
  public init(
    stats: [[dd_stat]], processes: [UInt32: dd_proc], events: [dd_event], lostEvents: Int,
    droppedTasks: Int, rootPids: [Int32]
  ) {
    self.stats = stats
    self.processes = processes
    self.events = events
    self.lostEvents = lostEvents
    self.droppedTasks = droppedTasks
    self.rootPids = rootPids
  }
}

private func cString<T>(_ tuple: T) -> String {
  withUnsafeBytes(of: tuple) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
}

private let cloneNamespaceFlags: [(UInt64, String)] = [
  (0x0002_0000, "CLONE_NEWNS"), (0x0200_0000, "CLONE_NEWCGROUP"), (0x0400_0000, "CLONE_NEWUTS"),
  (0x0800_0000, "CLONE_NEWIPC"), (0x1000_0000, "CLONE_NEWUSER"), (0x2000_0000, "CLONE_NEWPID"),
  (0x4000_0000, "CLONE_NEWNET"), (0x80, "CLONE_NEWTIME"), (0x8000, "CLONE_PARENT"), (0x0001_0000, "CLONE_THREAD"),
  (0x0000_4000, "CLONE_VFORK"), (0x0200_0000_00, "CLONE_INTO_CGROUP"), (0x0100_0000_00, "CLONE_CLEAR_SIGHAND"),
]
private let namespaceMask: UInt64 = 0x7E02_0080
private let mountFlags: [(UInt64, String)] = [
  (1, "MS_RDONLY"), (2, "MS_NOSUID"), (4, "MS_NODEV"), (8, "MS_NOEXEC"), (32, "MS_REMOUNT"), (4096, "MS_BIND"),
  (8192, "MS_MOVE"), (16384, "MS_REC"), (1 << 17, "MS_UNBINDABLE"), (1 << 18, "MS_PRIVATE"), (1 << 19, "MS_SLAVE"),
  (1 << 20, "MS_SHARED"),
]

public enum ReportBuilder {
  static func flagNames(_ value: UInt64, _ table: [(UInt64, String)]) -> String {
    let names = table.filter { value & $0.0 != 0 }.map(\.1)
    return names.isEmpty ? String(format: "0x%llx", value) : names.joined(separator: "|")
  }

  /// An event's detail: "CLONE_NEWNS|CLONE_NEWPID", the mount target, ...
  public static func describe(name: String, args: [UInt64], str: String) -> String {
    switch name {
    case "clone", "unshare": return flagNames(args[0], cloneNamespaceFlags)
    case "clone3": return flagNames(args[1], cloneNamespaceFlags)
    case "setns": return "fd \(args[0]) " + (args[1] == 0 ? "any" : flagNames(args[1], cloneNamespaceFlags))
    case "mount":
      return str + " " + flagNames(args[3], mountFlags)
    case "seccomp": return "op \(args[0]) flags 0x\(String(args[1], radix: 16))"
    default: return str
    }
  }

  static func isNamespaceCreation(_ name: String, _ args: [UInt64]) -> Bool {
    switch name {
    case "unshare", "clone": return args[0] & namespaceMask != 0
    case "clone3": return args[1] & namespaceMask != 0
    default: return false
    }
  }

  public static func fill(_ report: inout TraceReport, from raw: RawTrace, syscalls: SyscallTable) {
    var buckets: [String: BucketReport] = [:]
    report.syscalls = [:]
    report.errors = [:]
    report.timeInSyscallsNs = [:]
    report.afterSeccompFilter = [:]
    for (index, bucketName) in TraceReport.bucketNames.enumerated() {
      var bucket = BucketReport()
      for (nr, stat) in raw.stats[index].enumerated() where stat.count > 0 || stat.errors > 0 {
        let name = syscalls.name(nr)
        bucket.syscalls[name] = Int(stat.count)
        bucket.total += Int(stat.count)
        bucket.errors += Int(stat.errors)
        if stat.errors > 0 { bucket.failed[name] = Int(stat.errors) }
        bucket.nanoseconds += stat.nanoseconds
        report.syscalls[name, default: 0] += Int(stat.count)
        if stat.errors > 0 { report.errors[name, default: 0] += Int(stat.errors) }
        report.timeInSyscallsNs[name, default: 0] += stat.nanoseconds
        if bucketName == "post_seccomp" || bucketName == "workload" {
          report.afterSeccompFilter[name, default: 0] += Int(stat.count)
        }
      }
      buckets[bucketName] = bucket
    }
    report.buckets = buckets
    report.totalSyscalls = buckets.values.reduce(0) { $0 + $1.total }
    report.totalErrors = buckets.values.reduce(0) { $0 + $1.errors }
    report.seccompFilterSeen = (buckets["post_seccomp"]?.total ?? 0) > 0
    report.lostEvents = raw.lostEvents
    report.droppedTasks = raw.droppedTasks
    report.deniedBySeccomp = [:]
    fillTimeline(&report, raw: raw, syscalls: syscalls)
  }

  private static func fillTimeline(_ report: inout TraceReport, raw: RawTrace, syscalls: SyscallTable) {
    let events = raw.events.sorted { $0.ts < $1.ts }
    let rootSet = Set(raw.rootPids.map { UInt32(bitPattern: $0) })
    // t0: the runtime's own execve (the first event of a gated root), else the first event at all.
    let t0 =
      events.first(where: { $0.kind == DD_EV_EXEC.rawValue && rootSet.contains($0.pid) })?.ts ?? events.first?.ts ?? 0
    func ms(_ ts: UInt64) -> Double { (Double(Int64(bitPattern: ts &- t0))) / 1e6 }

    var processes: [UInt32: ProcessSummary] = [:]
    func process(_ tgid: UInt32, _ comm: String, invocation: UInt32) -> ProcessSummary {
      processes[tgid]
        ?? ProcessSummary(
          pid: Int(tgid), ppid: 0, invocation: Int(invocation), comm: comm, exe: "",
          syscalls: 0, errors: 0, threads: 1, buckets: [:], startedMs: nil, exitedMs: nil,
          exitStatus: nil)
    }
    var milestones: [String: Double] = [:]
    func mark(_ name: String, _ ts: UInt64) { if milestones[name] == nil { milestones[name] = ms(ts) } }
    var workloadTgids = Set<UInt32>()
    var timeline: [TraceEvent] = []
    for event in events {
      let comm = cString(event.comm)
      let str = cString(event.str)
      let args = [event.args.0, event.args.1, event.args.2, event.args.3]
      let bucket = TraceReport.bucketNames[Int(event.bucket) & 3]
      var item = TraceEvent(
        tMs: ms(event.ts), pid: Int(event.pid), tgid: Int(event.tgid), invocation: Int(event.root),
        comm: comm, kind: "", name: "", detail: "", bucket: bucket, ret: nil, durationUs: nil)
      switch event.kind {
      case DD_EV_FORK.rawValue:
        item.kind = "fork"
        item.name = args[2] == 1 ? "thread" : "process"
        item.detail = "parent \(event.other) mntns \(args[0]) pidns \(args[1])"
        if args[2] == 1 {
          var p = process(event.tgid, comm, invocation: event.root)
          p.threads += 1
          processes[event.tgid] = p
          continue  // threads are counted, not listed: Go runtimes start dozens
        }
        var p = process(event.tgid, comm, invocation: event.root)
        p.ppid = Int(event.other)
        p.startedMs = ms(event.ts)
        processes[event.tgid] = p
      case DD_EV_EXEC.rawValue:
        item.kind = "exec"
        item.name = "exec"
        item.detail = str
        var p = process(event.tgid, comm, invocation: event.root)
        p.exe = str
        p.comm = comm
        if p.startedMs == nil { p.startedMs = ms(event.ts) }
        processes[event.tgid] = p
        if rootSet.contains(event.other) || rootSet.contains(event.pid) { mark("runtime_exec", event.ts) }
        if args[2] == 1 {
          mark("workload_exec", event.ts)
          workloadTgids.insert(event.tgid)
          item.detail += " (workload)"
        }
      case DD_EV_EXIT.rawValue:
        if args[2] == 1 { continue }  // thread exits: noise
        item.kind = "exit"
        item.name = "exit"
        item.detail = "status \(event.ret)"
        var p = process(event.tgid, comm, invocation: event.root)
        p.exitedMs = ms(event.ts)
        p.exitStatus = Int(event.ret)
        p.comm = comm  // the last name: runc's stages rename themselves (runc:[1:CHILD]) after the fork
        processes[event.tgid] = p
        if workloadTgids.contains(event.tgid) { mark("workload_exit", event.ts) }
        if rootSet.contains(event.pid) { mark("runtime_exit", event.ts) }
      case DD_EV_CGROUP.rawValue:
        item.kind = "cgroup"
        item.name = "cgroup_attach"
        item.detail = "pid \(event.other) -> hierarchy \(args[0]) \(str)"
        // The attaching syscall's start: on v1 that write can wait out an RCU grace period.
        mark("cgroup_attach", args[1] != 0 ? args[1] : event.ts)
      case DD_EV_DENIED.rawValue:
        let name = syscalls.name(Int(event.nr))
        item.kind = "denied"
        item.name = name
        item.ret = event.ret
        item.detail = "refused by a seccomp filter"
        report.deniedBySeccomp[name, default: 0] += 1
      default:
        let name = syscalls.name(Int(event.nr))
        item.kind = "syscall"
        item.name = name
        item.ret = event.ret
        item.durationUs = Double(event.duration) / 1000
        item.detail = describe(name: name, args: args, str: str)
        let threadFlag: UInt64 = 0x10000
        if ["fork", "vfork"].contains(name) || (name == "clone" && args[0] & threadFlag == 0)
          || (name == "clone3" && args[1] & threadFlag == 0)
        {
          mark("first_clone", event.ts)  // a process, not one of a Go runtime's threads
        }
        if isNamespaceCreation(name, args) { mark("namespaces", event.ts) }
        if ["mount", "open_tree", "move_mount", "fsmount"].contains(name) && event.bucket != DD_B_HOST.rawValue {
          mark("first_mount", event.ts)
        }
        if name == "pivot_root" { mark("pivot_root", event.ts) }
        if name == "seccomp" && args[0] == 1 && event.ret >= 0 { mark("seccomp_load", event.ts) }  // SECCOMP_SET_MODE_FILTER
        if str.hasSuffix("cgroup.procs") || str.hasSuffix("/tasks") || (name == "write" && !str.isEmpty) {
          item.name = name + " (cgroup)"
          let done = ms(event.ts + event.duration)  // the last attaching write's end
          milestones["cgroups_attached"] = max(milestones["cgroups_attached"] ?? done, done)
        }
      }
      timeline.append(item)
    }
    for (tgid, counts) in raw.processes {
      var p = process(tgid, "", invocation: 0)
      let calls = [counts.calls.0, counts.calls.1, counts.calls.2, counts.calls.3]
      p.syscalls = Int(calls.reduce(0, +))
      p.errors = Int(counts.errors)
      for (i, value) in calls.enumerated() where value > 0 { p.buckets[TraceReport.bucketNames[i]] = Int(value) }
      processes[tgid] = p
    }
    report.processes = processes.values.filter { $0.syscalls > 0 || $0.startedMs != nil }.sorted {
      ($0.startedMs ?? 0, $0.pid) < ($1.startedMs ?? 0, $1.pid)
    }
    report.events = timeline
    report.milestones = milestones
    report.breakdown = breakdown(milestones)
    if let exec = milestones["runtime_exec"], let workload = milestones["workload_exec"] {
      report.startLatencyMs = workload - exec
    }
  }

  /// What the time between two milestones is spent on, when the pair is the usual one.
  static let gapLabels: [String: String] = [
    "runtime_exec>first_clone": "runtime start-up: loader, language runtime, config and state",
    "first_clone>namespaces": "child set-up before the namespaces",
    "namespaces>cgroup_attach": "namespace creation, then the parent moves the child into cgroups",
    "cgroup_attach>cgroups_attached":
      "cgroup.procs writes, every hierarchy (v1: the first waits for an RCU grace period)",
    "cgroups_attached>first_mount": "after the cgroup attach, before the first mount",
    "cgroups_attached>namespaces": "after the cgroup attach: the child creates its namespaces",
    "first_clone>cgroup_attach": "child started; the parent moves it into cgroups",
    "namespaces>first_mount": "namespace creation to the first container mount",
    "first_mount>pivot_root": "rootfs and default mounts",
    "pivot_root>seccomp_load": "after pivot_root: masked paths, capabilities, rlimits",
    "pivot_root>workload_exec": "after pivot_root: masked paths, capabilities, exec of the process",
    "seccomp_load>workload_exec": "seccomp loaded: last steps to execve",
    "workload_exec>workload_exit": "the workload runs",
    "workload_exit>runtime_exit": "teardown: reaping, cgroups and state removed",
  ]

  static func breakdown(_ milestones: [String: Double]) -> [LatencySegment] {
    let ordered = milestones.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
    guard ordered.count > 1 else { return [] }
    return (1..<ordered.count).map { i in
      let from = ordered[i - 1]
      let to = ordered[i]
      let label = gapLabels["\(from.key)>\(to.key)"] ?? "\(from.key) to \(to.key)"
      return LatencySegment(from: from.key, to: to.key, label: label, ms: to.value - from.value)
    }
  }
}
