import Cgroups
import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

/// `hull events [--stats] [--interval 5s] ID`, as runc: with --stats one
/// {"type":"stats","id":…,"data":{…}} line; otherwise stats every interval and
/// {"type":"oom","id":…} when the kernel OOM-kills in the container, until it stops.
/// One thread: poll(2) on the OOM watcher and a pidfd of the init.
struct EventsCommand: HullCommand {
  static let name = "events"
  static let summary = "print container events: resource stats (--stats once, else every --interval) and OOM kills"
  static let flags: [Arguments.Flag] = [
    .init(names: ["stats"], takesValue: false), .init(names: ["interval"], takesValue: true),
  ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    let text = args.value("interval") ?? "5s"
    guard let intervalMs = parseDuration(text), intervalMs > 0 else {
      throw RuntimeError(
        "events", reason: "--interval \"\(text)\": expected a duration such as 5s, 500ms or 1m", errno: EINVAL)
    }
    let (record, cgroup) = try ContainerOps(store: context.store).liveCgroup(id, operation: "events")
    if args.bool("stats") {
      printOut(StatsJSON.event(id: id, stats: cgroup.stats()))
      return 0
    }
    var watcher: OOMWatcher?
    do { watcher = try cgroup.watchOOM() } catch { context.log.warning("no OOM events: \(error)") }
    defer { watcher?.close() }
    let process: PidFD
    do { process = try PidFD(pid: record.pid) } catch { throw RuntimeError(error, context: "events container \(id)") }
    guard ProcFS.isAlive(pid: record.pid, startTime: record.initStartTime) else { return 0 }

    var next = Clock.monotonicNanos() / 1_000_000 + UInt64(intervalMs)
    while true {
      let now = Clock.monotonicNanos() / 1_000_000
      if now >= next {
        printOut(StatsJSON.event(id: id, stats: cgroup.stats()))
        next = now + UInt64(intervalMs)
        continue
      }
      var fds = [pollfd(fd: process.fd, events: Int16(POLLIN), revents: 0)]
      if let watcher { fds.append(pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)) }
      let n = poll(&fds, nfds_t(fds.count), Int32(min(next - now, UInt64(Int32.max))))
      if n < 0 && errno != EINTR { throw RuntimeError(SystemError("poll"), context: "events container \(id)") }
      if n <= 0 { continue }
      // OOM first: the kernel notifies before the killed init's pidfd turns readable.
      if fds.count > 1, fds[1].revents != 0, watcher != nil { reportOOM(&watcher!, id: id) }
      if fds[0].revents != 0 {
        if watcher != nil { reportOOM(&watcher!, id: id) }
        return 0
      }
    }
  }

  static func reportOOM(_ watcher: inout OOMWatcher, id: String) {
    for _ in 0..<watcher.drain() { printOut(StatsJSON.oom(id: id)) }
  }

  /// Go-style durations as runc takes them ("5s", "500ms", "1m", "1h"); a bare number is seconds.
  static func parseDuration(_ text: String) -> Int? {
    let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
    var scale = 1000
    var number = Substring(text)
    if let unit = units.first(where: { text.hasSuffix($0.0) }) {
      scale = unit.1
      number = number.dropLast(unit.0.count)
    }
    guard let n = Int(number), n >= 0 else { return nil }
    let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
    return overflow ? nil : ms
  }
}

/// runc's events JSON (types.Event / types.Stats), with its omitempty fields left out when zero.
enum StatsJSON {
  static func event(id: String, stats: CgroupStats) -> String {
    var o = JSONObject()
    o["type"] = .string("stats")
    o["id"] = .string(id)
    o["data"] = .object(data(stats))
    return JSON.serialize(.object(o)) + "\n"
  }

  static func oom(id: String) -> String {
    var o = JSONObject()
    o["type"] = .string("oom")
    o["id"] = .string(id)
    return JSON.serialize(.object(o)) + "\n"
  }

  static func num(_ v: UInt64) -> JSONValue { v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v) }

  static func put(_ o: inout JSONObject, _ key: String, _ v: UInt64, omitEmpty: Bool = true) {
    if v != 0 || !omitEmpty { o[key] = num(v) }
  }

  static func put(_ o: inout JSONObject, _ key: String, _ list: [UInt64]) {
    if !list.isEmpty { o[key] = .array(list.map(num)) }
  }

  static func data(_ s: CgroupStats) -> JSONObject {
    var usage = JSONObject()
    put(&usage, "total", s.cpu.total)
    put(&usage, "percpu", s.cpu.percpu)
    put(&usage, "percpu_kernel", s.cpu.percpuKernel)
    put(&usage, "percpu_user", s.cpu.percpuUser)
    put(&usage, "kernel", s.cpu.kernel, omitEmpty: false)
    put(&usage, "user", s.cpu.user, omitEmpty: false)
    var throttling = JSONObject()
    put(&throttling, "periods", s.cpu.periods)
    put(&throttling, "throttledPeriods", s.cpu.throttledPeriods)
    put(&throttling, "throttledTime", s.cpu.throttledTime)

    func entry(_ e: CgroupStats.MemoryEntry) -> JSONValue {
      var o = JSONObject()
      put(&o, "limit", e.limit, omitEmpty: false)
      put(&o, "usage", e.usage)
      put(&o, "max", e.max)
      put(&o, "failcnt", e.failcnt, omitEmpty: false)
      return .object(o)
    }
    var memory = JSONObject()
    put(&memory, "cache", s.memory.cache)
    memory["usage"] = entry(s.memory.usage)
    memory["swap"] = entry(s.memory.swap)
    memory["kernel"] = entry(s.memory.kernel)
    memory["kernelTCP"] = entry(s.memory.kernelTCP)
    if !s.memory.raw.isEmpty { memory["raw"] = .object(JSONObject(s.memory.raw.map { ($0.key, num($0.value)) })) }

    var pids = JSONObject()
    put(&pids, "current", s.pids.current)
    put(&pids, "limit", s.pids.limit)

    func entries(_ list: [CgroupStats.BlkioEntry]) -> JSONValue {
      .array(
        list.map { e in
          var o = JSONObject()
          put(&o, "major", e.major)
          put(&o, "minor", e.minor)
          if !e.op.isEmpty { o["op"] = .string(e.op) }
          put(&o, "value", e.value)
          return .object(o)
        })
    }
    var blkio = JSONObject()
    if !s.blkio.ioServiceBytesRecursive.isEmpty {
      blkio["ioServiceBytesRecursive"] = entries(s.blkio.ioServiceBytesRecursive)
    }
    if !s.blkio.ioServicedRecursive.isEmpty { blkio["ioServicedRecursive"] = entries(s.blkio.ioServicedRecursive) }

    var hugetlb = JSONObject()
    for h in s.hugetlb {
      var o = JSONObject()
      put(&o, "usage", h.usage)
      put(&o, "max", h.max)
      put(&o, "failcnt", h.failcnt, omitEmpty: false)
      hugetlb[h.pageSize] = .object(o)
    }

    var cpuset = JSONObject()
    put(&cpuset, "cpus", s.cpuset.cpus)
    put(&cpuset, "mems", s.cpuset.mems)
    for flag in s.cpuset.flags { cpuset[flag.key] = .int(flag.value) }

    var d = JSONObject()
    d["cpu"] = .object(JSONObject([("usage", .object(usage)), ("throttling", .object(throttling))]))
    d["cpuset"] = .object(cpuset)
    d["memory"] = .object(memory)
    d["pids"] = .object(pids)
    d["blkio"] = .object(blkio)
    d["hugetlb"] = .object(hugetlb)
    d["intel_rdt"] = .object(JSONObject())
    d["network_interfaces"] = .null
    return d
  }
}
