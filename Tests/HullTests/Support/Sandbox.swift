// The environment of the hull integration tests: the hull binary, a busybox rootfs
// built once per run, one cgroup parent per run, and a Sandbox per test (own --root,
// own bundle, own absolute cgroupsPath) that removes everything it made.
import Foundation
import Glibc
import OCISpec
import Testing

enum HullTestEnv {
  static let pid = getpid()
  static let base = "/tmp/hull-tests-\(pid)"
  static let cache = base + "/rootfs-cache"
  /// Every test container's cgroup lives below this, in every hierarchy. Created here
  /// (so hull never creates or removes it) and removed at exit.
  static let cgroupParent = "/hull-test-\(pid)"

  /// The repository: Tests/HullTests/Support/Sandbox.swift is four levels down.
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// The hull binary built next to the test bundle (or $HULL_BINARY).
  static let hullPath: String = {
    if let path = ProcessInfo.processInfo.environment["HULL_BINARY"], !path.isEmpty { return path }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("hull").path
  }()

  /// Mount points of every cgroup hierarchy: the v1 ones under /sys/fs/cgroup and the unified one.
  static let hierarchies: [String] = {
    // A pure v2 host has one hierarchy, /sys/fs/cgroup itself; its subdirectories are cgroups, not mounts.
    if access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 { return ["/sys/fs/cgroup"] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
    return names.sorted().map { "/sys/fs/cgroup/" + $0 }.filter { access($0 + "/cgroup.procs", F_OK) == 0 }
  }()

  static let isRoot = getuid() == 0

  /// One-time setup; nil when it worked, else why not.
  static let setupError: String? = {
    guard isRoot else { return "the hull integration tests need root" }
    guard access(hullPath, X_OK) == 0 else {
      return "hull binary not found at \(hullPath): run `swift build --product hull` first (or set HULL_BINARY)"
    }
    do {
      try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
      atexit { HullTestEnv.cleanUpRun() }
      // ~400 forks: a minute or more under TCG in a loaded `drydock vm` guest.
      let make = try run([repoRoot + "/bundles/make-rootfs", cache], outputDir: base, timeout: 300)
      guard make.status == 0 else { return "bundles/make-rootfs failed: \(make)" }
      for hierarchy in hierarchies {
        let dir = hierarchy + cgroupParent
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { return "mkdir \(dir): \(String(cString: strerror(errno)))" }
        for file in ["cpuset.cpus", "cpuset.mems"] where access(hierarchy + "/" + file, F_OK) == 0 {
          let value = readText(hierarchy + "/" + file).trimmingCharacters(in: .whitespacesAndNewlines)
          try? value.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
        }
      }
    } catch { return "test setup failed: \(error)" }
    return nil
  }()

  /// At exit: kill what is left in our cgroups (only ours), remove them, unmount and remove our temp dir.
  static func cleanUpRun() {
    for hierarchy in hierarchies {
      removeCgroupTree(hierarchy + cgroupParent)
    }
    unmountAll(under: base)
    try? FileManager.default.removeItem(atPath: base)
  }

  /// Removes a cgroup directory of ours and its children, deepest first, killing any task left in them.
  static func removeCgroupTree(_ dir: String) {
    guard access(dir, F_OK) == 0 else { return }
    let children = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    for child in children {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: dir + "/" + child, isDirectory: &isDir), isDir.boolValue {
        removeCgroupTree(dir + "/" + child)
      }
    }
    for _ in 0..<200 {
      for pid in readText(dir + "/cgroup.procs").split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
      if access(dir + "/freezer.state", F_OK) == 0 {
        try? "THAWED".write(toFile: dir + "/freezer.state", atomically: false, encoding: .utf8)
      }
      if rmdir(dir) == 0 || errno == ENOENT { return }
      usleep(10_000)
    }
  }

  /// Mount points at or below `path` in our mount namespace, deepest first.
  static func mounts(under path: String) -> [String] {
    readText("/proc/self/mountinfo").split(separator: "\n").compactMap { line -> String? in
      let fields = line.split(separator: " ")
      guard fields.count > 4 else { return nil }
      let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
      return point == path || point.hasPrefix(path + "/") ? point : nil
    }.sorted { $0.count > $1.count }
  }

  static func unmountAll(under path: String) {
    for _ in 0..<3 {
      let points = mounts(under: path)
      if points.isEmpty { return }
      for point in points { umount2(point, Int32(MNT_DETACH)) }
    }
  }
}

/// Host feature checks for `.enabled(if:)`.
enum Host {
  static let hasIP =
    access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 || access("/usr/bin/ip", X_OK) == 0
  static let ipPath =
    ([String])(["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]).first { access($0, X_OK) == 0 } ?? "ip"
  static let hasTimeNamespace = access("/proc/self/ns/time", F_OK) == 0
  static let hasUserNamespace = access("/proc/self/ns/user", F_OK) == 0
  static let hasCgroupNamespace = access("/proc/self/ns/cgroup", F_OK) == 0
  static let isCgroupV1 = access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0
  /// /sys/fs/cgroup itself is a cgroup2 mount (a v2 host, or `drydock vm --cgroup v2`).
  static let isCgroupV2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
  static let hasFreezerV1 =
    access("/sys/fs/cgroup/freezer/freezer.state", F_OK) == 0
    || access("/sys/fs/cgroup/freezer/cgroup.procs", F_OK) == 0
  /// CapBnd of this process: the tests expect hull to warn about a capability outside it.
  static let capBnd: UInt64 = {
    let status = readText("/proc/self/status")
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }) else { return 0 }
    return UInt64(line.split(separator: "\t").last.map(String.init) ?? "", radix: 16) ?? 0
  }()
  static let lacksSysResource = capBnd & (1 << 24) == 0
}

struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// One test's world. Call `cleanup()` in a `defer`.
final class Sandbox: @unchecked Sendable {
  enum RootfsKind { case readonlyBind, copy }

  static let counter = Counter()

  let name: String
  let dir: String
  let root: String
  let bundle: String
  let rootfs: String
  /// A host directory every container of this sandbox may see at /tmp (see `shareTmp`).
  let shared: String
  /// Absolute cgroupsPath of this sandbox's first container.
  let cgroupPath: String
  var config: JSONValue
  private(set) var ids: [String] = []
  private var extraCgroups: [String] = []
  private var bound = false

  init(_ name: String, rootfs kind: RootfsKind = .readonlyBind) throws {
    if let error = HullTestEnv.setupError { throw TestFailure(error) }
    let n = Sandbox.counter.next()
    self.name = "\(name)-\(n)"
    dir = HullTestEnv.base + "/" + self.name
    root = dir + "/state"
    bundle = dir + "/bundle"
    rootfs = bundle + "/rootfs"
    shared = dir + "/shared"
    cgroupPath = HullTestEnv.cgroupParent + "/" + self.name
    let fm = FileManager.default
    try fm.createDirectory(atPath: bundle, withIntermediateDirectories: true)
    try fm.createDirectory(atPath: shared, withIntermediateDirectories: true)
    chmod(shared, 0o1777)
    switch kind {
    case .readonlyBind:
      try fm.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
      guard mount(HullTestEnv.cache, rootfs, nil, UInt(MS_BIND), nil) == 0 else {
        throw TestFailure("bind mount \(HullTestEnv.cache) on \(rootfs): \(String(cString: strerror(errno)))")
      }
      bound = true
      guard mount(nil, rootfs, nil, UInt(MS_BIND | MS_REMOUNT | MS_RDONLY), nil) == 0 else {
        throw TestFailure("remount \(rootfs) read-only: \(String(cString: strerror(errno)))")
      }
    case .copy:
      let cp = try run(["/bin/cp", "-a", HullTestEnv.cache, rootfs], outputDir: dir)
      guard cp.status == 0 else { throw TestFailure("copy rootfs: \(cp)") }
    }
    let text = try String(contentsOfFile: HullTestEnv.repoRoot + "/bundles/busybox/config.json", encoding: .utf8)
    config = try JSON.parse(text)
    set("linux.cgroupsPath", .string(cgroupPath))
    set("hostname", .string("hulltest"))
  }

  /// A fresh container id of this sandbox, remembered for cleanup.
  func newID(_ suffix: String = "c") -> String {
    let id = "\(name)-\(suffix)"
    ids.append(id)
    return id
  }

  /// Remembers an extra cgroup path (absolute, like cgroupsPath) to remove at cleanup.
  func ownCgroup(_ path: String) { extraCgroups.append(path) }

  // MARK: config

  func set(_ path: String, _ value: JSONValue?) { config = config.setting(path, value) }

  func set(_ path: String, json text: String) {
    do { config = config.setting(path, try JSON.parse(text)) } catch {
      fatalError("bad JSON in test: \(error)\n\(text)")
    }
  }

  /// process.args = sh -c script
  func script(_ text: String) { set("process.args", .array([.string("/bin/sh"), .string("-c"), .string(text)])) }

  /// Appends one mount to config.mounts.
  func addMount(json text: String) {
    var mounts = config["mounts"]?.arrayValue ?? []
    do { mounts.append(try JSON.parse(text)) } catch { fatalError("bad JSON in test: \(error)") }
    set("mounts", .array(mounts))
  }

  /// Binds `shared` (host) at /tmp (exists in the rootfs) so the container can leave files for the test.
  func shareTmp() {
    addMount(json: #"{"destination":"/tmp","type":"bind","source":"\#(shared)","options":["rbind","rw"]}"#)
  }

  func writeConfig(_ text: String? = nil) throws {
    try (text ?? JSON.serialize(config, pretty: true)).write(
      toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
  }

  // MARK: running hull

  /// `hull --root <root> args...`, config.json written first.
  @discardableResult
  func hull(
    _ args: [String], stdin: String? = nil, fds: [(source: Int32, target: Int32)] = [], timeout: Double = 30,
    writeConfig write: Bool = true, rootFlag: [String]? = nil
  ) throws -> CommandResult {
    try hullSpawn(args, stdin: stdin, fds: fds, timeout: timeout, writeConfig: write, rootFlag: rootFlag).wait()
  }

  func hullSpawn(
    _ args: [String], stdin: String? = nil, fds: [(source: Int32, target: Int32)] = [], timeout: Double = 30,
    writeConfig write: Bool = true, rootFlag: [String]? = nil
  ) throws -> Spawned {
    if write { try writeConfig() }
    return try spawn(
      [HullTestEnv.hullPath] + (rootFlag ?? ["--root", root]) + args, outputDir: dir, stdin: stdin, fds: fds,
      timeout: timeout)
  }

  /// `hull run --bundle <bundle> <id>`: the container's output and exit status.
  func runContainer(_ id: String, extra: [String] = [], timeout: Double = 30) throws -> CommandResult {
    try hull(["run", "--bundle", bundle] + extra + [id], timeout: timeout)
  }

  /// `hull create`, failing the test with the output when it does not work.
  func create(_ id: String, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws
    -> CommandResult
  {
    let result = try hull(["create", "--bundle", bundle] + extra + [id])
    #expect(result.status == 0, "create failed: \(result)", sourceLocation: sourceLocation)
    if result.status != 0 { throw TestFailure("create \(id) failed: \(result)") }
    return result
  }

  func state(_ id: String) throws -> JSONValue {
    let result = try hull(["state", id], writeConfig: false)
    guard result.status == 0 else { throw TestFailure("state \(id) failed: \(result)") }
    return try JSON.parse(result.stdout)
  }

  func status(_ id: String) -> String? { (try? state(id))?["status"]?.stringValue }

  func pid(_ id: String) throws -> Int32 {
    guard let pid = try state(id)["pid"]?.int64Value else { throw TestFailure("state \(id) has no pid") }
    return Int32(pid)
  }

  /// Polls `hull state` until the status is `wanted` (5 s at most).
  @discardableResult
  func waitForStatus(_ id: String, _ wanted: String, seconds: Double = 5) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if status(id) == wanted { return true }
      usleep(20_000)
    }
    return status(id) == wanted
  }

  /// Polls for a file (written by a container into `shared`) and returns its contents.
  func waitForFile(_ path: String, seconds: Double = 5) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if access(path, F_OK) == 0 {
        usleep(20_000)
        return readText(path)
      }
      usleep(20_000)
    }
    return nil
  }

  /// Polls a file until it contains `text` (the container writes it in pieces) and returns all of it.
  func waitForFile(_ path: String, containing text: String, seconds: Double = 10) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
      let content = readText(path)
      if content.contains(text) { return content }
      usleep(20_000)
    } while Date() < deadline
    return nil
  }

  // MARK: what exists on the host

  /// Directories of `path` (default: this sandbox's cgroupsPath) in every hierarchy.
  func cgroupDirs(_ path: String? = nil) -> [String] {
    HullTestEnv.hierarchies.map { $0 + (path ?? cgroupPath) }
  }

  func existingCgroupDirs(_ path: String? = nil) -> [String] {
    cgroupDirs(path).filter { access($0, F_OK) == 0 }
  }

  /// Processes whose command line mentions this sandbox (hull itself and container inits cloned from it).
  func processesMentioningSandbox() -> [Int32] {
    let me = getpid()
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter {
      pid in
      guard pid != me else { return false }
      let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
      let text = String(decoding: cmdline.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      return text.contains(dir)
    }
  }

  /// Nothing of container `id` remains: no state dir, no cgroup dir, no process, no mount.
  func expectNothingLeft(_ id: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(access(root + "/" + id, F_OK) != 0, "state directory left behind for \(id)", sourceLocation: sourceLocation)
    #expect(
      existingCgroupDirs().isEmpty, "cgroup dirs left behind: \(existingCgroupDirs())", sourceLocation: sourceLocation)
    #expect(
      processesMentioningSandbox().isEmpty, "processes left behind: \(processesMentioningSandbox())",
      sourceLocation: sourceLocation)
    let mounts = HullTestEnv.mounts(under: dir).filter { $0 != rootfs }
    #expect(mounts.isEmpty, "mounts left behind: \(mounts)", sourceLocation: sourceLocation)
  }

  // MARK: cleanup

  func cleanup() {
    for id in ids {
      _ = try? hull(["delete", "--force", id], timeout: 15, writeConfig: false)
    }
    for path in [cgroupPath] + extraCgroups {
      for dir in cgroupDirs(path) { HullTestEnv.removeCgroupTree(dir) }
    }
    HullTestEnv.unmountAll(under: dir)
    try? FileManager.default.removeItem(atPath: dir)
  }
}

extension JSONValue {
  /// This value with the member at `path` ("process.rlimits[0].type", "linux.sysctl.kernel\\.shmmax" is not
  /// supported: use `settingKey`) replaced, or removed when `new` is nil. Missing objects are created.
  func setting(_ path: String, _ new: JSONValue?) -> JSONValue {
    var components: [PathComponent] = []
    for part in path.split(separator: ".") {
      var rest = Substring(part)
      if let bracket = rest.firstIndex(of: "[") {
        if bracket > rest.startIndex { components.append(.key(String(rest[..<bracket]))) }
        rest = rest[bracket...]
        while rest.first == "[", let close = rest.firstIndex(of: "]") {
          components.append(.index(Int(rest[rest.index(after: rest.startIndex)..<close])!))
          rest = rest[rest.index(after: close)...]
        }
      } else {
        components.append(.key(String(rest)))
      }
    }
    return replacing(components[...], new)
  }

  /// This object with member `key` (which may contain dots) set.
  func settingKey(_ key: String, _ new: JSONValue?) -> JSONValue {
    replacing([PathComponent.key(key)][...], new)
  }

  enum PathComponent {
    case key(String)
    case index(Int)
  }

  private func replacing(_ path: ArraySlice<PathComponent>, _ new: JSONValue?) -> JSONValue {
    guard let first = path.first else { return new ?? .null }
    switch first {
    case .key(let key):
      var object = objectValue ?? JSONObject()
      if path.count == 1 {
        object[key] = new
      } else {
        object[key] = (object[key] ?? .object(JSONObject())).replacing(path.dropFirst(), new)
      }
      return .object(object)
    case .index(let index):
      var array = arrayValue ?? []
      while array.count <= index { array.append(.null) }
      if path.count == 1, new == nil {
        array.remove(at: index)
      } else {
        array[index] = array[index].replacing(path.dropFirst(), new)
      }
      return .array(array)
    }
  }
}

/// Strings as JSON.
func jsonStrings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

/// The value of `Key:` in /proc/<pid>/status-style text.
func statusField(_ text: String, _ key: String) -> String? {
  for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
    return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
  }
  return nil
}
