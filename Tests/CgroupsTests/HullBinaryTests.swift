// hull's cgroup commands end to end, through the binary: a live `update`, `events
// --stats`, an OOM kill reported by `events`, and a device the cgroup denies. Needs
// root, a v1/hybrid host and `swift build --product hull`; skipped with the reason otherwise.
import Foundation
import Glibc
import LinuxKit
import Testing

enum HullBinary {
  static let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  static let path: String = {
    if let p = ProcessInfo.processInfo.environment["HULL_BINARY"], !p.isEmpty { return p }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let beside = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("hull").path
    return access(beside, X_OK) == 0 ? beside : repoRoot + "/.build/debug/hull"
  }()

  static let base = "/tmp/cgroupstests-hull-\(getpid())"
  static let prefix = "/cgroupstests-hull-\(getpid())"

  /// nil when the tests can run; else why not.
  static let unavailable: String? = {
    guard RealHost.usable else { return "needs root on a cgroup v1 or hybrid host" }
    guard access(path, X_OK) == 0 else { return "no hull binary at \(path): run `swift build --product hull`" }
    try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    let make = run([repoRoot + "/bundles/make-rootfs", base + "/rootfs"], hull: false)
    return make.status == 0 ? nil : "bundles/make-rootfs failed: \(make.err)"
  }()

  struct Result { var status: Int32; var out: String; var err: String }

  nonisolated(unsafe) static var counter = 0

  /// Runs hull (with our --root) or a plain command; output goes to files so a detached
  /// container holding our stdout cannot block us.
  static func run(_ args: [String], hull: Bool = true, stdin: String? = nil, timeout: Double = 30) -> Result {
    let p = start(args, hull: hull, stdin: stdin)
    return p.wait(timeout: timeout)
  }

  final class Running {
    let process = Process()
    let outPath: String
    let errPath: String
    init(outPath: String, errPath: String) {
      self.outPath = outPath
      self.errPath = errPath
    }
    func wait(timeout: Double) -> Result {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(10_000) }
      var status: Int32 = -1
      if process.isRunning { process.terminate() } else { status = process.terminationStatus }
      process.waitUntilExit()
      let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
      let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
      return Result(status: status, out: out, err: err)
    }
  }

  static func start(_ args: [String], hull: Bool = true, stdin: String? = nil) -> Running {
    counter += 1
    let r = Running(outPath: "\(base)/out-\(counter)", errPath: "\(base)/err-\(counter)")
    FileManager.default.createFile(atPath: r.outPath, contents: nil)
    FileManager.default.createFile(atPath: r.errPath, contents: nil)
    r.process.executableURL = URL(fileURLWithPath: hull ? path : args[0])
    r.process.arguments = hull ? ["--root", base + "/state"] + args : Array(args.dropFirst())
    r.process.standardOutput = FileHandle(forWritingAtPath: r.outPath)
    r.process.standardError = FileHandle(forWritingAtPath: r.errPath)
    let input = Pipe()
    r.process.standardInput = input
    try! r.process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    return r
  }

  /// A bundle from bundles/busybox/config.json with our args, cgroup path and resources.
  static func bundle(_ id: String, args: [String], resources: [String: Any] = [:], caps: [String] = []) throws -> String {
    let dir = base + "/" + id
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/bundles/busybox/config.json"))
    var config = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var process = config["process"] as! [String: Any]
    process["args"] = args
    if !caps.isEmpty {
      var c = process["capabilities"] as! [String: Any]
      for key in ["bounding", "effective", "permitted"] { c[key] = (c[key] as! [String]) + caps }
      process["capabilities"] = c
    }
    config["process"] = process
    config["root"] = ["path": base + "/rootfs", "readonly": true]
    var linux = config["linux"] as! [String: Any]
    linux["cgroupsPath"] = prefix + "/" + id
    var res = linux["resources"] as? [String: Any] ?? [:]
    for (k, v) in resources { res[k] = v }
    linux["resources"] = res
    config["linux"] = linux
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
    return dir
  }

  static func cgroupValue(_ controller: String, _ id: String, _ file: String) -> String {
    let text = Files.readIfPresent("/sys/fs/cgroup/\(controller)\(prefix)/\(id)/\(file)") ?? "<missing>"
    return text.split(separator: "\n").first.map(String.init) ?? ""
  }
}

@Suite(.serialized, .enabled(if: HullBinary.unavailable == nil, Comment(rawValue: HullBinary.unavailable ?? "")))
struct HullBinaryTests {
  /// create + start a container running `args`; returns after `start`.
  func started(_ id: String, args: [String], resources: [String: Any] = [:]) throws {
    let bundle = try HullBinary.bundle(id, args: args, resources: resources)
    let create = HullBinary.run(["create", "--bundle", bundle, id])
    try #require(create.status == 0, "hull create: \(create.err)")
    let start = HullBinary.run(["start", id])
    try #require(start.status == 0, "hull start: \(start.err)")
  }

  func delete(_ id: String) {
    _ = HullBinary.run(["delete", "--force", id])
  }

  @Test func updateChangesLiveLimits() throws {
    let id = "update"
    try started(id, args: ["sleep", "100"], resources: ["memory": ["limit": 32 << 20, "swap": 32 << 20], "pids": ["limit": 10]])
    defer { delete(id) }
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "33554432")
    var r = HullBinary.run(["update", "--memory", "64m", "--memory-swap", "64m", "--pids-limit", "20",
                            "--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-shares", "0", id])
    #expect(r.status == 0, "\(r.err)")
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("memory", id, "memory.memsw.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("pids", id, "pids.max") == "20")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.cfs_quota_us") == "30000")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.shares") == "1024")  // 0 = not set
    // docker's zeros leave everything else alone
    r = HullBinary.run(["update", "--resources", "-", id], stdin: #"{"memory":{"limit":0},"pids":{"limit":0},"cpu":{"shares":512}}"#)
    #expect(r.status == 0, "\(r.err)")
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("pids", id, "pids.max") == "20")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.shares") == "512")
    // what the host cannot honour is an error naming the field
    r = HullBinary.run(["update", "--resources", "-", id], stdin: #"{"network":{"classID":1}}"#)
    #expect(r.status != 0 && r.err.contains("linux.resources.network.classID"))
    r = HullBinary.run(["update", "--memory", "lots", id])
    #expect(r.status != 0 && r.err.contains("--memory"))
    let del = HullBinary.run(["delete", "--force", id])
    #expect(del.status == 0, "\(del.err)")
    #expect(!Files.exists("/sys/fs/cgroup/memory\(HullBinary.prefix)/\(id)"))
  }

  @Test func eventsStats() throws {
    let id = "stats"
    try started(id, args: ["sleep", "100"], resources: ["memory": ["limit": 48 << 20], "pids": ["limit": 7]])
    defer { delete(id) }
    let r = HullBinary.run(["events", "--stats", id])
    try #require(r.status == 0, "\(r.err)")
    let lines = r.out.split(separator: "\n")
    #expect(lines.count == 1)
    let event = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
    #expect(event["type"] as? String == "stats" && event["id"] as? String == id)
    let data = event["data"] as! [String: Any]
    for key in ["cpu", "memory", "pids", "blkio", "hugetlb"] { #expect(data[key] != nil, "\(key)") }
    let pids = data["pids"] as! [String: Any]
    #expect(pids["current"] as? Int == 1 && pids["limit"] as? Int == 7)
    let usage = (data["memory"] as! [String: Any])["usage"] as! [String: Any]
    #expect(usage["limit"] as? Int == 48 << 20)
    #expect(((data["cpu"] as! [String: Any])["usage"] as! [String: Any])["total"] as? Int ?? 0 > 0)
  }

  @Test func oomKillReportedByEvents() throws {
    let id = "oom"
    let bundle = try HullBinary.bundle(id, args: ["sh", "-c", "x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done"],
                                       resources: ["memory": ["limit": 16 << 20, "swap": 16 << 20]])
    let create = HullBinary.run(["create", "--bundle", bundle, id])
    try #require(create.status == 0, "hull create: \(create.err)")
    defer { delete(id) }
    let events = HullBinary.start(["events", "--interval", "60s", id])
    usleep(500_000)  // events registers its OOM eventfd before the container runs
    let start = HullBinary.run(["start", id])
    try #require(start.status == 0, "hull start: \(start.err)")
    let r = events.wait(timeout: 30)
    #expect(r.status == 0, "events: \(r.err)")
    #expect(r.out.contains(#"{"type":"oom","id":"oom"}"#), "events printed: \(r.out)")
  }

  @Test func deniedDeviceCannotBeOpened() throws {
    // The busybox config denies every device but the defaults; /dev/fuse (c 10:229) is not one.
    let script = "mknod /dev/probe c 10 229 && : < /dev/probe && echo opened"
    var bundle = try HullBinary.bundle("denied", args: ["sh", "-c", script])
    try patchCaps(bundle)
    var r = HullBinary.run(["run", "--bundle", bundle, "denied"])
    #expect(r.status != 0)
    #expect((r.out + r.err).contains("Operation not permitted"), "\(r.out)\(r.err)")
    #expect(!r.out.contains("opened"))
    delete("denied")
    // Control: the same container with c 10:229 allowed opens it.
    let allow: [[String: Any]] = [["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"]]
    bundle = try HullBinary.bundle("allowed", args: ["sh", "-c", script], resources: ["devices": allow])
    try patchCaps(bundle)
    r = HullBinary.run(["run", "--bundle", bundle, "allowed"])
    #expect(r.status == 0 && r.out.contains("opened"), "\(r.out)\(r.err)")
    delete("allowed")
  }

  /// mknod needs CAP_MKNOD, which the busybox config does not grant.
  func patchCaps(_ bundle: String) throws {
    let url = URL(fileURLWithPath: bundle + "/config.json")
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var process = config["process"] as! [String: Any]
    var caps = process["capabilities"] as! [String: Any]
    for key in ["bounding", "effective", "permitted"] { caps[key] = (caps[key] as! [String]) + ["CAP_MKNOD"] }
    process["capabilities"] = caps
    config["process"] = process
    try JSONSerialization.data(withJSONObject: config).write(to: url)
  }
}
