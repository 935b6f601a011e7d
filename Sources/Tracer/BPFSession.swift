// BPFSession: the loaded trace/drydock_trace.bpf.c object, its maps and links, through libbpf.
import CBPF
import DrydockKit

#if canImport(Glibc)
import Glibc
#endif

/// libbpf's messages, kept so a refused program can be explained (the verifier log says why).
nonisolated(unsafe) private var libbpfMessages: [String] = []
private let libbpfSink: dd_log_sink = { level, message in
  guard let message else { return }
  if libbpfMessages.count > 400 { libbpfMessages.removeFirst(100) }
  libbpfMessages.append(String(cString: message))
}

/// Events arrive through a C callback: this box is its context.
private final class EventBox {
  var events: [dd_event] = []
}

/// Not Sendable: use it from one thread.
public final class BPFSession {
  public let objectPath: String
  public let loadNanoseconds: UInt64
  private var object: OpaquePointer?
  private var links: [OpaquePointer] = []
  private var ring: OpaquePointer?
  private let box = EventBox()
  private let configFD, keysFD, tasksFD, procsFD, statsFD, countersFD, eventsFD: Int32
  private let cpus: Int

  /// Opens and loads the object (verifier, CO-RE relocation); loadNanoseconds records how long that took.
  public init(objectPath: String) throws {
    self.objectPath = objectPath
    libbpfMessages.removeAll()
    dd_set_log_sink(libbpfSink)
    let start = ProcessRunner.monotonicNanoseconds()
    guard let object = bpf_object__open_file(objectPath, nil) else {
      throw HarnessError.libbpf("open BPF object", path: objectPath, code: errno, detail: Self.recentLog())
    }
    let loaded = bpf_object__load(object)
    if loaded != 0 {
      let log = Self.recentLog()
      bpf_object__close(object)
      throw Self.explainLoadFailure(code: loaded, log: log, path: objectPath)
    }
    loadNanoseconds = ProcessRunner.monotonicNanoseconds() - start
    self.object = object
    func fd(_ name: String) throws -> Int32 {
      guard let map = bpf_object__find_map_by_name(object, name) else {
        bpf_object__close(object)
        throw HarnessError(
          .tracer, operation: "find map", path: name, errno: ENOENT,
          message: "the BPF object lacks this map: rebuild it")
      }
      return bpf_map__fd(map)
    }
    configFD = try fd("dd_config_map")
    keysFD = try fd("keys")
    tasksFD = try fd("tasks")
    procsFD = try fd("procs")
    statsFD = try fd("stats")
    countersFD = try fd("counters")
    eventsFD = try fd("events")
    cpus = Int(max(1, libbpf_num_possible_cpus()))
    let context = Unmanaged.passUnretained(box).toOpaque()
    guard
      let ring = ring_buffer__new(
        eventsFD,
        { context, data, size in
          guard let context, let data, size >= MemoryLayout<dd_event>.size else { return 0 }
          let box = Unmanaged<EventBox>.fromOpaque(context).takeUnretainedValue()
          box.events.append(data.loadUnaligned(as: dd_event.self))
          return 0
        }, context, nil)
    else {
      let code = errno
      bpf_object__close(object)
      throw HarnessError.libbpf("ring_buffer__new", code: code)
    }
    self.ring = ring
  }

  deinit { close() }

  /// The verifier or BTF resolution said no: name the cause instead of a bare errno.
  private static func explainLoadFailure(code: Int32, log: String, path: String) -> HarnessError {
    if let line = log.split(separator: "\n").first(where: { $0.contains("failed to find kernel BTF type ID") }) {
      return HarnessError(
        .tracer, operation: "load BPF object", path: path, errno: -code,
        message: "a tracepoint is missing from this kernel (\(line.trimmingCharacters(in: .whitespaces)))")
    }
    if code == -EPERM || code == -EACCES {
      return HarnessError(
        .tracer, operation: "load BPF object", path: path, errno: -code,
        message: "the kernel refused BPF (needs root/CAP_BPF+CAP_PERFMON; lockdown may forbid it). \(log.suffix(800))")
    }
    return HarnessError.libbpf(
      "load BPF object", path: path, code: code, detail: "the kernel refused the program: \(log.suffix(1500))")
  }

  private static func recentLog() -> String { libbpfMessages.suffix(30).joined() }

  public func configure(_ config: dd_config) throws {
    var key: UInt32 = 0
    var value = config
    try check(bpf_map_update_elem(configFD, &key, &value, 0), "write config")
  }

  public func setKeys(_ keys: [Int: dd_key]) throws {
    for (nr, key) in keys where nr >= 0 && nr < Int(DD_MAX_NR) {
      var index = UInt32(nr)
      var value = key
      try check(bpf_map_update_elem(keysFD, &index, &value, 0), "write key syscall \(nr)")
    }
  }

  public var isAttached: Bool { !links.isEmpty }

  /// Every program, or none: a failed attach detaches the rest.
  public func attach() throws {
    guard links.isEmpty, let object else { return }
    var program = bpf_object__next_program(object, nil)
    while let current = program {
      let name = String(cString: bpf_program__name(current))
      guard let link = bpf_program__attach(current) else {
        let code = errno
        detach()
        throw HarnessError.libbpf(
          "attach", path: name, code: code,
          detail: "tracepoint not available? " + Self.recentLog().suffix(400))
      }
      links.append(link)
      program = bpf_object__next_program(object, current)
    }
  }

  public func detach() {
    for link in links { bpf_link__destroy(link) }
    links.removeAll()
  }

  public func register(pid: Int32, root: UInt32, armed: Bool) throws {
    var key = UInt32(bitPattern: pid)
    var task = dd_task()
    // Not armed: the task may be inside a syscall now, whose exit must not look like a denied call.
    task.flags = armed ? DD_F_ARMED.rawValue : DD_F_ACTIVE.rawValue | DD_F_FRESH.rawValue
    task.root = root
    task.tgid = UInt32(bitPattern: pid)
    task.nr = -1
    try check(bpf_map_update_elem(tasksFD, &key, &task, UInt64(BPF_NOEXIST)), "register pid \(pid)")
    try addCounter(DD_C_LIVE, 1)
  }

  public func unregister(pid: Int32) {
    var key = UInt32(bitPattern: pid)
    if bpf_map_delete_elem(tasksFD, &key) == 0 { try? addCounter(DD_C_LIVE, -1) }
  }

  /// Consumes the ring buffer. No wakeups are sent: call it periodically.
  @discardableResult
  public func drain() -> Int {
    guard let ring else { return 0 }
    return Int(ring_buffer__consume(ring))
  }

  /// What drain() collected, in arrival order; they are forgotten.
  public func takeEvents() -> [dd_event] {
    defer { box.events.removeAll(keepingCapacity: true) }
    return box.events
  }

  public func counter(_ which: dd_counter) -> Int64 {
    var key = which.rawValue
    var value: Int64 = 0
    _ = bpf_map_lookup_elem(countersFD, &key, &value)
    return value
  }

  private func addCounter(_ which: dd_counter, _ delta: Int64) throws {
    var key = which.rawValue
    var value: Int64 = 0
    _ = bpf_map_lookup_elem(countersFD, &key, &value)
    value += delta
    try check(bpf_map_update_elem(countersFD, &key, &value, 0), "write counter")
  }

  private func keys(of fd: Int32) -> [UInt32] {
    var result: [UInt32] = []
    var next: UInt32 = 0
    var status = bpf_map_get_next_key(fd, nil, &next)
    while status == 0 {
      result.append(next)
      var previous = next
      status = bpf_map_get_next_key(fd, &previous, &next)
    }
    return result
  }

  public func liveTasks() -> [UInt32] { keys(of: tasksFD) }

  /// [bucket][nr], summed over CPUs.
  public func readStats() -> [[dd_stat]] {
    let maxNR = Int(DD_MAX_NR)
    var result = Array(repeating: Array(repeating: dd_stat(), count: maxNR), count: Int(DD_BUCKETS))
    var perCPU = [dd_stat](repeating: dd_stat(), count: cpus)
    for bucket in 0..<Int(DD_BUCKETS) {
      for nr in 0..<maxNR {
        var key = UInt32(bucket * maxNR + nr)
        guard bpf_map_lookup_elem(statsFD, &key, &perCPU) == 0 else { continue }
        var sum = dd_stat()
        for cpu in perCPU {
          sum.count += cpu.count
          sum.errors += cpu.errors
          sum.nanoseconds += cpu.nanoseconds
        }
        result[bucket][nr] = sum
      }
    }
    return result
  }

  /// Exited processes plus the still-running tracked threads, by tgid.
  public func readProcesses() -> [UInt32: dd_proc] {
    var result: [UInt32: dd_proc] = [:]
    for key in keys(of: procsFD) {
      var k = key
      var value = dd_proc()
      if bpf_map_lookup_elem(procsFD, &k, &value) == 0 { result[key] = value }
    }
    for key in keys(of: tasksFD) {  // threads still running: add what they did so far
      var k = key
      var task = dd_task()
      guard bpf_map_lookup_elem(tasksFD, &k, &task) == 0, task.flags & DD_F_ACTIVE.rawValue != 0 else { continue }
      var entry = result[task.tgid] ?? dd_proc()
      withUnsafeMutableBytes(of: &entry.calls) { into in
        withUnsafeBytes(of: task.calls) { from in
          for i in 0..<Int(DD_BUCKETS) {
            into.storeBytes(
              of: into.load(fromByteOffset: i * 8, as: UInt64.self) + from.load(fromByteOffset: i * 8, as: UInt64.self),
              toByteOffset: i * 8, as: UInt64.self)
          }
        }
      }
      entry.errors += task.errors
      result[task.tgid] = entry
    }
    return result
  }

  /// Zeroes counts, tasks and counters between recordings (the object stays loaded).
  public func reset() throws {
    for key in keys(of: tasksFD) {
      var k = key
      _ = bpf_map_delete_elem(tasksFD, &k)
    }
    for key in keys(of: procsFD) {
      var k = key
      _ = bpf_map_delete_elem(procsFD, &k)
    }
    var zeros = [dd_stat](repeating: dd_stat(), count: cpus)
    for slot in 0..<Int(DD_MAX_NR * DD_BUCKETS) {
      var key = UInt32(slot)
      try check(bpf_map_update_elem(statsFD, &key, &zeros, 0), "reset stats")
    }
    for which in 0..<DD_C_COUNT.rawValue {
      var key = which
      var zero: Int64 = 0
      try check(bpf_map_update_elem(countersFD, &key, &zero, 0), "reset counters")
    }
    drain()
    box.events.removeAll()
  }

  /// Links, ring buffer, object: everything freed (also in deinit).
  public func close() {
    detach()
    if let ring { ring_buffer__free(ring) }
    ring = nil
    if let object { bpf_object__close(object) }
    object = nil
  }

  private func check(_ status: Int32, _ operation: String) throws {
    if status != 0 { throw HarnessError.libbpf(operation, code: status < 0 ? status : -errno) }
  }

  /// The kernel ids of this object's programs (empty once closed).
  public func programIDs() -> [UInt32] {
    guard let object else { return [] }
    var ids: [UInt32] = []
    var program = bpf_object__next_program(object, nil)
    while let current = program {
      var info = bpf_prog_info()
      var length = UInt32(MemoryLayout<bpf_prog_info>.size)
      if bpf_obj_get_info_by_fd(bpf_program__fd(current), &info, &length) == 0 { ids.append(info.id) }
      program = bpf_object__next_program(object, current)
    }
    return ids
  }

  /// Ids of every program loaded in the kernel now, and of those some link attaches.
  public static func kernelProgramIDs() -> (loaded: Set<UInt32>, linked: Set<UInt32>) {
    var loaded = Set<UInt32>()
    var linked = Set<UInt32>()
    var id: UInt32 = 0
    while bpf_prog_get_next_id(id, &id) == 0 { loaded.insert(id) }
    id = 0
    while bpf_link_get_next_id(id, &id) == 0 {
      let fd = bpf_link_get_fd_by_id(id)
      guard fd >= 0 else { continue }
      var info = bpf_link_info()
      var length = UInt32(MemoryLayout<bpf_link_info>.size)
      if bpf_obj_get_info_by_fd(fd, &info, &length) == 0 { linked.insert(info.prog_id) }
      Glibc.close(fd)
    }
    return (loaded, linked)
  }

}

extension HarnessError {
  /// libbpf returns -errno (or NULL with errno set): normalise both into one error with strerror.
  static func libbpf(_ operation: String, path: String? = nil, code: Int32, detail: String = "") -> HarnessError {
    let positive = code < 0 ? -code : code
    var text = String(cString: strerror(positive))
    if !detail.isEmpty { text += ": " + detail }
    return HarnessError(.tracer, operation: operation, path: path, errno: positive, message: text)
  }
}
