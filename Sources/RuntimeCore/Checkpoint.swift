import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// checkpoint and restore through the criu binary, with runc's options. CRIU does the
/// work; hull passes the container's root, cgroups and bind mounts and keeps its state.
public enum Checkpoint {
  public struct Options: Sendable {
    public var imagePath: String
    public var workPath: String?
    public var leaveRunning = false
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    public var fileLocks = false
    public var preDump = false
    public var manageCgroupsMode: String?
    public init(imagePath: String) { self.imagePath = imagePath }
  }

  static let criuPaths = ["/usr/sbin/criu", "/usr/bin/criu", "/usr/local/sbin/criu"]

  public static func criuPath() throws(RuntimeError) -> String {
    guard let path = criuPaths.first(where: { access($0, X_OK) == 0 }) else {
      throw RuntimeError("checkpoint", "criu", reason: "criu is not installed (Debian package criu)", errno: ENOENT)
    }
    return path
  }

  public static func checkpoint(_ id: String, options: Options, store: StateStore) throws(RuntimeError) {
    let lock = try store.open(id)
    let record = try store.load(id)
    let status = ContainerOps(store: store).status(of: record)
    guard status == .running || status == .paused else {
      throw RuntimeError("checkpoint container \(id)", reason: "container is not running (status \(status.rawValue))", errno: EINVAL)
    }
    do { try Files.makeDirectories(options.imagePath, mode: 0o700) } catch { throw RuntimeError(error, context: "checkpoint") }
    var args = ["criu", options.preDump ? "pre-dump" : "dump", "--tree", String(record.pid),
                "--images-dir", options.imagePath, "--root", record.rootfs, "--log-file", "dump.log", "-v4",
                "--manage-cgroups" + (options.manageCgroupsMode.map { "=" + $0 } ?? "")]
    if let work = options.workPath { args += ["--work-dir", work] }
    if options.leaveRunning || options.preDump { args.append("--leave-running") }
    if options.tcpEstablished { args.append("--tcp-established") }
    if options.externalUnixSockets { args.append("--ext-unix-sk") }
    if options.shellJob { args.append("--shell-job") }
    if options.fileLocks { args.append("--file-locks") }
    args += try externalMounts(record: record)
    try runCriu(args, operation: "checkpoint container \(id)", logDirectory: options.workPath ?? options.imagePath,
                logName: "dump.log")
    _ = consume lock
  }

  /// Bind mounts come from the host: CRIU must be told they are external (runc's --ext-mount-map).
  static func externalMounts(record: ContainerRecord) throws(RuntimeError) -> [String] {
    let configPath = record.bundle + "/config.json"
    guard let bytes = try? Files.read(configPath, limit: 16 << 20), let spec = try? Spec.parse(bytes) else { return [] }
    var args: [String] = []
    for mount in spec.mounts where mount.isBindMount {
      args += ["--ext-mount-map", "\(mount.destination):\(mount.destination)"]
    }
    return args
  }

  public struct RestoreOptions: Sendable {
    public var imagePath: String
    public var workPath: String?
    public var bundle: String
    public var pidFile: String?
    public var detach = false
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    public var fileLocks = false
    public init(imagePath: String, bundle: String) {
      self.imagePath = imagePath
      self.bundle = bundle
    }
  }

  /// Restores a checkpoint as container `id`: state directory, cgroups, then criu restore
  /// (which recreates the namespaces and mounts), then the state record and the pid file.
  public static func restore(_ id: String, spec: Spec, options: RestoreOptions, store: StateStore) throws(RuntimeError) -> Int32 {
    guard let root = spec.root else { throw RuntimeError("restore", "config.json", reason: "root: missing", errno: EINVAL) }
    let rootfs = Paths.absolute(root.path, base: options.bundle)
    let lock = try store.create(id)
    let cgroupPath = spec.linux?.cgroupsPath.flatMap { $0.isEmpty ? nil : $0 } ?? "/hull/\(id)"
    let cgroup = CgroupSet(host: CgroupHost.current(), path: cgroupPath)
    var created: [String] = []
    do throws(RuntimeError) {
      do { created = try cgroup.create() } catch { throw RuntimeError(error) }
      let pidFile = store.directory(id) + "/criu.pid"
      var args = ["criu", "restore", "--images-dir", options.imagePath, "--root", rootfs, "--restore-detached",
                  "--pidfile", pidFile, "--manage-cgroups", "--cgroup-root", cgroupPath,
                  "--log-file", "restore.log", "-v4"]
      if let work = options.workPath { args += ["--work-dir", work] }
      if options.tcpEstablished { args.append("--tcp-established") }
      if options.externalUnixSockets { args.append("--ext-unix-sk") }
      if options.shellJob { args.append("--shell-job") }
      if options.fileLocks { args.append("--file-locks") }
      for mount in spec.mounts where mount.isBindMount {
        if let source = mount.source { args += ["--ext-mount-map", "\(mount.destination):\(Paths.absolute(source, base: options.bundle))"] }
      }
      try runCriu(args, operation: "restore container \(id)", logDirectory: options.workPath ?? options.imagePath,
                  logName: "restore.log")
      guard let text = Files.readIfPresent(pidFile), let pid = Int32(text.split(separator: "\n").first ?? "") else {
        throw RuntimeError("restore container \(id)", pidFile, reason: "criu wrote no pid", errno: ENOENT)
      }
      let record = ContainerRecord(
        id: id, pid: pid, initStartTime: ProcFS.stat(pid: pid)?.startTime ?? 0, bundle: options.bundle, rootfs: rootfs,
        created: Clock.rfc3339Now(), owner: Identity.ownerName(), ociVersion: spec.ociVersion,
        annotations: spec.annotations, cgroupPath: cgroup.path, cgroupCreated: created, started: true,
        poststart: spec.hooks?.poststart ?? [], poststop: spec.hooks?.poststop ?? [])
      try store.save(record)
      try store.markStarted(id)
      if let path = options.pidFile {
        try StateStore.writePidFile(path, pid: pid)
      }
      _ = consume lock
      return pid
    } catch {
      CgroupSet.remove(created)
      store.remove(id)
      throw error
    }
  }

  /// Runs criu; on failure the error carries the last error line of its log.
  static func runCriu(_ args: [String], operation: String, logDirectory: String, logName: String) throws(RuntimeError) {
    let path = try criuPath()
    let outcome: Spawn.Outcome
    do { outcome = try Spawn.run(path: path, args: args, env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]) } catch {
      throw RuntimeError(error, context: operation)
    }
    if outcome == .exited(0) { return }
    let log = logDirectory + "/" + logName
    let lastError = (Files.readIfPresent(log) ?? "").split(separator: "\n").last { $0.contains("Error") }
      .map(String.init) ?? "criu failed (\(outcome)); see \(log)"
    throw RuntimeError(operation, log, reason: "criu: " + lastError, errno: EIO)
  }

  /// `criu check`: nil when CRIU works on this kernel, else its first error line.
  public static func criuProblem() -> String? {
    guard let path = try? criuPath() else { return "criu is not installed" }
    let log = "/tmp/hull-criu-check-\(getpid()).log"
    defer { unlink(log) }
    let args = ["criu", "check", "--log-file", log]
    // criu check prints "Looks good." on stdout, which is features' JSON.
    let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { if devNull >= 0 { close(devNull) } }
    guard let outcome = try? Spawn.run(path: path, args: args, env: [], stdoutFD: devNull) else {
      return "criu could not be started"
    }
    if outcome == .exited(0) { return nil }
    return (Files.readIfPresent(log) ?? "").split(separator: "\n").last { $0.contains("Error") }.map(String.init)
      ?? "criu check failed"
  }
}
