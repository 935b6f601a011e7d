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
    atexit { HullBinary.cleanUp() }
    let make = run([repoRoot + "/bundles/make-rootfs", base + "/rootfs"], hull: false)
    return make.status == 0 ? nil : "bundles/make-rootfs failed: \(make.err)"
  }()

  /// At exit: delete whatever container a failed test left, then our files.
  static func cleanUp() {
    for id in ["update", "fields", "stats", "oom", "denied", "allowed"] {
      _ = run(["delete", "--force", id], timeout: 10)
    }
    Files.removeTree(base)
    Files.removeTree(Child.scratch)
  }

  struct Result {
    var status: Int32
    var out: String
    var err: String
  }

  /// Runs hull with our --root (or a plain command, absolute path first).
  static func run(_ args: [String], hull: Bool = true, stdin: String? = nil, timeout: Double = 30) -> Result {
    guard let child = try? start(args, hull: hull, stdin: stdin) else {
      return Result(status: -1, out: "", err: "spawn failed")
    }
    let status = child.wait(timeout: timeout) ?? -1
    return Result(status: status, out: child.out, err: child.err)
  }

  static func start(_ args: [String], hull: Bool = true, stdin: String? = nil) throws -> Child {
    try Child(hull ? [path, "--root", base + "/state"] + args : args, stdin: stdin)
  }

  /// A bundle from bundles/busybox/config.json with our args, cgroup path and resources.
  static func bundle(_ id: String, args: [String], resources: [String: Any] = [:], caps: [String] = []) throws -> String
  {
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
    try started(
      id, args: ["sleep", "100"], resources: ["memory": ["limit": 32 << 20, "swap": 32 << 20], "pids": ["limit": 10]])
    defer { delete(id) }
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "33554432")
    var r = HullBinary.run([
      "update", "--memory", "64m", "--memory-swap", "64m", "--pids-limit", "20",
      "--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-shares", "0", id,
    ])
    #expect(r.status == 0, "\(r.err)")
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("memory", id, "memory.memsw.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("pids", id, "pids.max") == "20")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.cfs_quota_us") == "30000")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.shares") == "1024")  // 0 = not set
    // docker's zeros leave everything else alone
    r = HullBinary.run(
      ["update", "--resources", "-", id], stdin: #"{"memory":{"limit":0},"pids":{"limit":0},"cpu":{"shares":512}}"#)
    #expect(r.status == 0, "\(r.err)")
    #expect(HullBinary.cgroupValue("memory", id, "memory.limit_in_bytes") == "67108864")
    #expect(HullBinary.cgroupValue("pids", id, "pids.max") == "20")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.shares") == "512")
    // what the host cannot honour is an error naming the field
    r = HullBinary.run(["update", "--resources", "-", id], stdin: #"{"network":{"classID":1}}"#)
    #expect(r.status != 0 && r.err.contains("linux.resources.network.classID"))
    r = HullBinary.run(["update", "--memory", "lots", id])
    #expect(r.status != 0 && r.err.contains("--memory"))
    // runc's spelling of the shares flag, and its Intel RDT flags refused for the reason.
    r = HullBinary.run(["update", "--cpu-share", "256", id])
    #expect(r.status == 0, "\(r.err)")
    #expect(HullBinary.cgroupValue("cpu", id, "cpu.shares") == "256")
    for flag in ["--l3-cache-schema", "--mem-bw-schema"] {
      r = HullBinary.run(["update", flag, "L3:0=f", id])
      #expect(
        r.status == 1 && r.err.contains(flag) && r.err.contains("intelRdt") && !r.err.contains("unknown"), "\(r.err)")
    }
    let del = HullBinary.run(["delete", "--force", id])
    #expect(del.status == 0, "\(del.err)")
    #expect(!Files.exists("/sys/fs/cgroup/memory\(HullBinary.prefix)/\(id)"))
  }

  /// Every field this host can honour, from config.json through the planner to the files.
  @Test func createAppliesEveryHonourableField() throws {
    let id = "fields"
    let disk = (Files.readIfPresent("/sys/block/vda/dev") ?? "254:0").split(separator: "\n")[0].split(separator: ":")
      .compactMap { Int($0) }
    let dev: [String: Any] = ["major": disk[0], "minor": disk[1]]
    func rate(_ r: Int) -> [[String: Any]] { [dev.merging(["rate": r]) { a, _ in a }] }
    var resources: [String: Any] = [
      "cpu": ["shares": 2048, "quota": 40000, "period": 80000, "burst": 1000, "idle": 0, "cpus": "0", "mems": "0"],
      "memory": [
        "limit": 96 << 20, "reservation": 48 << 20, "swap": 128 << 20, "swappiness": 30,
        "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true, "kernel": 1 << 20,
      ],
      "pids": ["limit": 64],
      "blockIO": [
        "throttleReadBpsDevice": rate(1 << 20), "throttleWriteBpsDevice": rate(2 << 20),
        "throttleReadIOPSDevice": rate(100), "throttleWriteIOPSDevice": rate(200),
      ],
      "unified": ["cgroup.max.depth": "5"],
    ]
    // blkio.weight (CFQ) and blkio.bfq.weight exist only with those schedulers: ask for a weight where the host has one.
    let hostWeight = ["blkio.weight", "blkio.bfq.weight"].first { Files.exists("/sys/fs/cgroup/blkio/" + $0) }
    if hostWeight != nil, var blockIO = resources["blockIO"] as? [String: Any] {
      blockIO["weight"] = 300
      resources["blockIO"] = blockIO
    }
    let hasHugetlb = Files.exists("/sys/fs/cgroup/hugetlb/cgroup.procs")
    if hasHugetlb { resources["hugepageLimits"] = [["pageSize": "2MB", "limit": 4 << 20]] }
    try started(id, args: ["sleep", "100"], resources: resources)
    defer { delete(id) }
    let v = HullBinary.cgroupValue
    #expect(v("cpu", id, "cpu.shares") == "2048")
    #expect(v("cpu", id, "cpu.cfs_quota_us") == "40000")
    #expect(v("cpu", id, "cpu.cfs_period_us") == "80000")
    #expect(v("cpu", id, "cpu.cfs_burst_us") == "1000")
    #expect(v("cpuset", id, "cpuset.cpus") == "0")
    #expect(v("memory", id, "memory.limit_in_bytes") == "\(96 << 20)")
    #expect(v("memory", id, "memory.soft_limit_in_bytes") == "\(48 << 20)")
    #expect(v("memory", id, "memory.memsw.limit_in_bytes") == "\(128 << 20)")
    #expect(v("memory", id, "memory.swappiness") == "30")
    #expect(v("pids", id, "pids.max") == "64")
    let d = "\(disk[0]):\(disk[1])"
    #expect(v("blkio", id, "blkio.throttle.read_bps_device") == "\(d) \(1 << 20)")
    #expect(v("blkio", id, "blkio.throttle.write_iops_device") == "\(d) 200")
    if let hostWeight {
      #expect(v("blkio", id, hostWeight).split(separator: " ").last == "300")
    }
    // Per-device BFQ weights need BFQ as the disk's scheduler, which virtio disks here lack:
    // the error names the field and the file.
    let wd = #"{"blockIO":{"weightDevice":[{"major":\#(disk[0]),"minor":\#(disk[1]),"weight":400}]}}"#
    let r = HullBinary.run(["update", "-r", "-", id], stdin: wd)
    if r.status != 0 {
      #expect(r.err.contains("linux.resources.blockIO.weightDevice") && r.err.contains("weight_device"))
    }
    if hasHugetlb { #expect(v("hugetlb", id, "hugetlb.2MB.limit_in_bytes") == "\(4 << 20)") }
    let depth = Files.readIfPresent("/sys/fs/cgroup/unified\(HullBinary.prefix)/\(id)/cgroup.max.depth") ?? ""
    #expect(depth == "5\n")
  }

  /// A field the host cannot honour fails create, naming field and hierarchy, and
  /// create leaves no cgroup directory behind.
  @Test(
    .enabled(
      if: !Files.exists("/sys/fs/cgroup/net_cls/cgroup.procs"), "net_cls is mounted here: classID can be honoured"))
  func createRefusesWhatTheHostCannotHonour() throws {
    let id = "refused"
    let bundle = try HullBinary.bundle(id, args: ["true"], resources: ["network": ["classID": 1_048_577]])
    let r = HullBinary.run(["create", "--bundle", bundle, id])
    #expect(r.status != 0)
    #expect(r.err.contains("linux.resources.network.classID") && r.err.contains("net_cls"), "\(r.err)")
    #expect(!Files.exists("/sys/fs/cgroup/memory\(HullBinary.prefix)/\(id)"))
    #expect(HullBinary.run(["state", id]).status != 0)
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
    let bundle = try HullBinary.bundle(
      id, args: ["sh", "-c", "x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done"],
      resources: ["memory": ["limit": 16 << 20, "swap": 16 << 20]])
    let create = HullBinary.run(["create", "--bundle", bundle, id])
    try #require(create.status == 0, "hull create: \(create.err)")
    defer { delete(id) }
    let events = try HullBinary.start(["events", "--interval", "60s", id])
    usleep(500_000)  // events registers its OOM eventfd before the container runs
    let start = HullBinary.run(["start", id])
    try #require(start.status == 0, "hull start: \(start.err)")
    let status = events.wait(timeout: 30)
    #expect(status == 0, "events: \(events.err)")
    #expect(events.out.contains(#"{"type":"oom","id":"oom"}"#), "events printed: \(events.out)")
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
    let allow: [[String: Any]] = [
      ["allow": false, "access": "rwm"], ["allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"],
    ]
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
