import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// checkpoint and restore through the criu binary, with runc's choices where CRIU's command
/// line allows them (runc drives CRIU over its RPC socket; see CheckpointRestore.swift for
/// where that shows). CRIU does the work; hull tells it the container's root, freezer cgroup,
/// external mounts and terminal, and keeps the container's state.
public enum Checkpoint {
  public struct Options: Sendable {
    public var imagePath: String
    public var workPath: String?
    /// --parent-path: the previous (pre-)dump, relative to the image path (as runc requires).
    public var parentPath: String?
    public var leaveRunning = false
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    public var fileLocks = false
    public var preDump = false
    public var manageCgroupsMode: String?
    public init(imagePath: String) { self.imagePath = imagePath }
  }

  /// runc's --manage-cgroups-mode values (CRIU's names too).
  public static let manageCgroupsModes = ["soft", "full", "strict", "ignore"]
  /// The container's stdio as runc records it: `readlink /proc/PID/fd/{0,1,2}`, a JSON array.
  static let descriptorsFile = "descriptors.json"
  /// hull's own: the CRIU key of the terminal the container's stdio was on (`tty[rdev:dev]`).
  static let terminalFile = "hull-terminal"

  /// Returns delete's warnings when the container is removed afterwards.
  public static func checkpoint(_ id: String, options: Options, store: StateStore) throws(RuntimeError) -> [String] {
    let operation = "checkpoint container \(id)"
    let lock = try store.open(id)
    let record = try store.load(id)
    let status = ContainerOps(store: store).status(of: record)
    guard status == .running || status == .paused else {
      throw RuntimeError(operation, reason: "container is not running (status \(status.rawValue))", errno: EINVAL)
    }
    try validate(manageCgroupsMode: options.manageCgroupsMode, operation: operation)
    do { try Files.makeDirectories(options.imagePath, mode: 0o700) } catch {
      throw RuntimeError(error, context: operation)
    }
    if let parent = options.parentPath {
      try validate(parentPath: parent, imagePath: options.imagePath, operation: operation)
    }
    if let work = options.workPath {
      do { try Files.makeDirectories(work, mode: 0o700) } catch { throw RuntimeError(error, context: operation) }
    }
    let spec = bundleSpec(record)
    let stdio = descriptors(pid: record.pid)
    let terminal = terminalKey(pid: record.pid)
    do {
      try Files.writeAtomically(
        options.imagePath + "/" + descriptorsFile,
        Array(JSON.serialize(.array(stdio.map { .string($0) })).utf8))
      if let terminal { try Files.writeAtomically(options.imagePath + "/" + terminalFile, Array(terminal.utf8)) }
    } catch { throw RuntimeError(error, context: operation) }
    let args = dumpArguments(
      pid: record.pid, rootfs: record.rootfs, options: options,
      freezeCgroup: freezerDirectory(record.cgroup),
      externalMounts: dumpMounts(spec, pid: record.pid, terminal: terminal != nil), terminal: terminal)
    try runCriu(
      args, operation: operation, logDirectory: options.workPath ?? options.imagePath,
      logName: options.preDump ? "pre-dump.log" : "dump.log")
    _ = consume lock
    // As runc: a container checkpointed without --leave-running is gone (CRIU killed its
    // processes); its cgroups and state go too, so its id can be restored into.
    if options.leaveRunning || options.preDump { return [] }
    return try ContainerOps(store: store).delete(id, force: true)
  }

  /// criu's arguments for dump or pre-dump. Pure: the unit tests check runc's mapping here.
  static func dumpArguments(
    pid: Int32, rootfs: String, options: Options, freezeCgroup: String?,
    externalMounts: [(key: String, value: String)], terminal: String?
  ) -> [String] {
    var args = [
      "criu", options.preDump ? "pre-dump" : "dump", "--tree", String(pid),
      "--images-dir", options.imagePath, "--root", rootfs,
      "--log-file", options.preDump ? "pre-dump.log" : "dump.log", "-v4",
      "--manage-cgroups" + (options.manageCgroupsMode.map { "=" + $0 } ?? ""),
    ]
    if let work = options.workPath { args += ["--work-dir", work] }
    if let freezeCgroup { args += ["--freeze-cgroup", freezeCgroup] }
    // Memory tracking makes the next dump incremental (runc sets track_mem for both).
    if options.preDump || options.parentPath != nil { args.append("--track-mem") }
    if let parent = options.parentPath { args += ["--prev-images-dir", parent] }
    if options.leaveRunning && !options.preDump { args.append("--leave-running") }
    if options.tcpEstablished { args.append("--tcp-established") }
    if options.externalUnixSockets { args.append("--ext-unix-sk") }
    if options.shellJob { args.append("--shell-job") }
    if options.fileLocks { args.append("--file-locks") }
    for mount in externalMounts { args += ["--ext-mount-map", "\(mount.key):\(mount.value)"] }
    if let terminal { args += ["--external", terminal] }
    return args
  }

  static func validate(manageCgroupsMode mode: String?, operation: String) throws(RuntimeError) {
    guard let mode, !manageCgroupsModes.contains(mode) else { return }
    throw RuntimeError(
      operation, reason: "--manage-cgroups-mode \"\(mode)\": not one of \(manageCgroupsModes.joined(separator: ", "))",
      errno: EINVAL)
  }

  /// As runc: relative to the image path, and an existing directory there.
  static func validate(parentPath: String, imagePath: String, operation: String) throws(RuntimeError) {
    if parentPath.hasPrefix("/") {
      throw RuntimeError(
        operation, parentPath, reason: "--parent-path must be relative (to --image-path)", errno: EINVAL)
    }
    let real = Paths.absolute(parentPath, base: imagePath)
    guard Files.exists(real) else {
      throw RuntimeError(operation, real, reason: "--parent-path: no such directory", errno: ENOENT)
    }
    guard Files.isDirectory(real) else {
      throw RuntimeError(operation, real, reason: "--parent-path: not a directory", errno: ENOTDIR)
    }
  }

  /// The bundle's config as it is now (hull keeps no copy of it); nil when it cannot be read.
  static func bundleSpec(_ record: ContainerRecord) -> Spec? {
    guard let bytes = try? Files.read(record.bundle + "/config.json", limit: StateStore.configSizeLimit) else {
      return nil
    }
    return try? Spec.parse(bytes)
  }

  /// Mounts whose source lies outside the container, which CRIU must be told about (runc's
  /// ext_mnt): bind mounts, masked files (bound from /dev/null) and, on v1 and hybrid hosts,
  /// the binds of the container's cgroup directories, and /dev/console when it is the bind of an
  /// external terminal's slave. At dump the value is only a name.
  static func dumpMounts(_ spec: Spec?, pid: Int32, terminal: Bool) -> [(key: String, value: String)] {
    guard let spec else { return [] }
    var mounts = spec.mounts.filter(\.isBindMount).map { (key: $0.destination, value: $0.destination) }
    if terminal && mountPoints(pid: pid).contains("/dev/console") {
      mounts.append((key: "/dev/console", value: "/dev/console"))
    }
    mounts += maskedFiles(spec, root: "/proc/\(pid)/root").map { (key: $0, value: "/dev/null") }
    mounts += cgroupBinds(spec, host: CgroupHost.current()).map { (key: $0.destination, value: $0.destination) }
    return mounts
  }

  /// maskedPaths that are files in the container (directories get a tmpfs, which CRIU dumps).
  static func maskedFiles(_ spec: Spec, root: String) -> [String] {
    (spec.linux?.maskedPaths ?? []).filter { path in
      var st = stat()
      return stat(root + path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
    }
  }

  /// The binds CgroupMount makes for a `cgroup` mount on a v1 or hybrid host: one per hierarchy,
  /// destination under the mount, source the container's directory of that hierarchy.
  static func cgroupBinds(_ spec: Spec, host: CgroupHost) -> [(destination: String, mountPoint: String)] {
    guard host.mode != .unified else { return [] }
    var mountPoints = host.v1.map(\.mountPoint)
    if let unified = host.unifiedMountPoint { mountPoints.append(unified) }
    return spec.mounts.filter { $0.type == "cgroup" }.flatMap { mount in
      mountPoints.map { (destination: Paths.join(mount.destination, Paths.basename($0)), mountPoint: $0) }
    }
  }

  /// The mount points in the process's mount namespace, as it sees them.
  static func mountPoints(pid: Int32) -> Set<String> {
    let text = Files.readIfPresent("/proc/\(pid)/mountinfo") ?? ""
    return Set(
      text.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ")
        return fields.count > 4 ? String(fields[4]) : nil
      })
  }

  /// The directory CRIU freezes the container through (runc's freeze_cgroup).
  static func freezerDirectory(_ cgroup: CgroupSet?) -> String? {
    guard let cgroup else { return nil }
    if cgroup.host.mode == .unified { return cgroup.unifiedDirectory }
    return cgroup.directory(controller: "freezer")
  }

  /// readlink of the init's fds 0–2 ("/dev/null", "pipe:[123]", "/dev/pts/0").
  static func descriptors(pid: Int32) -> [String] {
    (0...2).map { fd in
      var buffer = [CChar](repeating: 0, count: 4096)
      let n = readlink("/proc/\(pid)/fd/\(fd)", &buffer, buffer.count - 1)
      return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }
  }

  /// CRIU's key of the pty slave the init's stdio is on, if any: its master lives with whoever
  /// got it through --console-socket, outside what CRIU dumps, so the terminal is external.
  static func terminalKey(pid: Int32) -> String? {
    for fd in 0...2 {
      var st = stat()
      guard stat("/proc/\(pid)/fd/\(fd)", &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else { continue }
      let rdev = UInt64(st.st_rdev)
      let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~UInt64(0xfff))  // glibc's gnu_dev_major
      if major >= 136 && major <= 143 {  // UNIX98_PTY_SLAVE_MAJOR and its 7 successors
        return "tty[\(String(UInt64(st.st_rdev), radix: 16)):\(String(UInt64(st.st_dev), radix: 16))]"
      }
    }
    return nil
  }

  static let criuPaths = ["/usr/sbin/criu", "/usr/bin/criu", "/usr/local/sbin/criu"]

  public static func criuPath() throws(RuntimeError) -> String {
    guard let path = criuPaths.first(where: { access($0, X_OK) == 0 }) else {
      throw RuntimeError("checkpoint", "criu", reason: "criu is not installed (Debian package criu)", errno: ENOENT)
    }
    return path
  }

  /// Runs criu; on failure the error names its log and carries the log's last error line.
  static func runCriu(_ args: [String], operation: String, logDirectory: String, logName: String) throws(RuntimeError) {
    let path = try criuPath()
    let outcome: Spawn.Outcome
    do { outcome = try Spawn.run(path: path, args: args, env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]) } catch {
      throw RuntimeError(error, context: operation)
    }
    if outcome == .exited(0) { return }
    let log = logDirectory + "/" + logName
    let lastError =
      (Files.readIfPresent(log) ?? "").split(separator: "\n").last { $0.contains("Error") }
      .map(String.init) ?? "criu failed (\(outcome))"
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
