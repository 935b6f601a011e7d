import Cgroups
import Glibc
import LinuxKit
import OCISpec

/// restore: CRIU recreates the namespaces, mounts and processes; hull makes the cgroups,
/// hands CRIU what lives outside the image (bind sources, the new cgroup directories, the
/// caller's pipes, a new terminal) and writes the state record.
///
/// Where the CRIU command line differs from runc's RPC use: runc gets the restored pty's
/// master from CRIU (orphan-pts-master, RPC only); hull dumps the terminal as external
/// (`--external tty[…]`, as LXC does) and restores it onto a new pty whose master goes to
/// --console-socket. The container's process then has that pty, from the host's devpts.
extension Checkpoint {
  public struct RestoreOptions: Sendable {
    public var imagePath: String
    public var workPath: String?
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    public var detach = false
    public var tcpEstablished = false
    public var externalUnixSockets = false
    public var shellJob = false
    public var fileLocks = false
    public var manageCgroupsMode: String?
    public init(imagePath: String, bundle: String) {
      self.imagePath = imagePath
      self.bundle = bundle
    }
  }

  /// Restores a checkpoint as container `id`; returns the restored init's host pid. Without
  /// --detach the caller becomes a child subreaper first, so that the init (criu's orphan) is
  /// its child and its exit status can be read.
  public static func restore(_ id: String, spec: Spec, options: RestoreOptions, store: StateStore) throws(RuntimeError)
    -> Int32
  {
    let operation = "restore container \(id)"
    guard let root = spec.root else {
      throw RuntimeError(operation, "config.json", reason: "root: missing", errno: EINVAL)
    }
    let rootfs = Paths.absolute(root.path, base: options.bundle)
    try validate(manageCgroupsMode: options.manageCgroupsMode, operation: operation)
    let terminal = Files.readIfPresent(options.imagePath + "/" + terminalFile)
    try checkTerminal(spec: spec, terminal: terminal, options: options, operation: operation)
    if let work = options.workPath {
      do { try Files.makeDirectories(work, mode: 0o700) } catch { throw RuntimeError(error, context: operation) }
    }
    if !options.detach { _ = LinuxSyscalls().prctl(PR_SET_CHILD_SUBREAPER, 1) }
    let lock = try store.create(id)
    let cgroupPath = spec.linux?.cgroupsPath.flatMap { $0.isEmpty ? nil : $0 } ?? "/hull/\(id)"
    let cgroup = CgroupSet(host: CgroupHost.current(), path: cgroupPath)
    var created: [String] = []
    var inherited = InheritedFds()
    defer { inherited.closeAll() }
    do throws(RuntimeError) {
      do { created = try cgroup.create() } catch { throw RuntimeError(error) }
      var warnings: [String] = []
      let limits = try CgroupPlanner.limits(from: spec.linux?.resources, devicePolicy: true, warnings: &warnings)
      do { try cgroup.apply(limits) } catch { throw RuntimeError(error) }
      let pidFile = store.directory(id) + "/criu.pid"
      var args = [
        "criu", "restore", "--images-dir", options.imagePath, "--root", rootfs, "--restore-detached",
        "--pidfile", pidFile, "--manage-cgroups" + (options.manageCgroupsMode.map { "=" + $0 } ?? ""),
        "--cgroup-root", cgroupPath, "--log-file", "restore.log", "-v4",
      ]
      if let work = options.workPath { args += ["--work-dir", work] }
      if options.tcpEstablished { args.append("--tcp-established") }
      if options.externalUnixSockets { args.append("--ext-unix-sk") }
      if options.shellJob { args.append("--shell-job") }
      if options.fileLocks { args.append("--file-locks") }
      var mounts = restoreMounts(spec, bundle: options.bundle, cgroup: cgroup)
      args += try inherited.callerPipes(recorded: options.imagePath + "/" + descriptorsFile, operation: operation)
      var console: (master: Int32, name: String)?
      if let terminal, options.consoleSocket != nil {
        let pty = try inherited.newTerminal(size: spec.process?.consoleSize, operation: operation)
        console = (pty.master, pty.name)
        args += ["--inherit-fd", "fd[\(pty.slave)]:\(terminal)"]
        mounts.append((key: "/dev/console", value: pty.name))  // the bind of the old slave, now of the new one
      }
      for mount in mounts { args += ["--ext-mount-map", "\(mount.key):\(mount.value)"] }
      try runCriu(
        args, operation: operation, logDirectory: options.workPath ?? options.imagePath, logName: "restore.log")
      guard let text = Files.readIfPresent(pidFile), let pid = Int32(text.split(separator: "\n").first ?? "") else {
        throw RuntimeError(operation, pidFile, reason: "criu wrote no pid", errno: ENOENT)
      }
      let record = ContainerRecord(
        id: id, pid: pid, initStartTime: ProcFS.stat(pid: pid)?.startTime ?? 0, bundle: options.bundle, rootfs: rootfs,
        created: Clock.rfc3339Now(), owner: Identity.ownerName(), ociVersion: spec.ociVersion,
        annotations: spec.annotations, cgroupPath: cgroup.path, cgroupCreated: created, started: true,
        poststart: spec.hooks?.poststart ?? [], poststop: spec.hooks?.poststop ?? [])
      try store.save(record)
      try store.markStarted(id)
      if let path = options.pidFile { try StateStore.writePidFile(path, pid: pid) }
      if let console, let socketPath = options.consoleSocket {
        let socket = try ExecSocket.connect(path: socketPath, what: "console socket")
        defer { close(socket) }
        var payload = Array(console.name.utf8)
        payload.append(0)
        if UnixSocket.sendFD(socket, console.master, payload: payload) < 0 {
          throw RuntimeError(SystemError("send console to", socketPath), context: operation)
        }
      }
      _ = consume lock
      return pid
    } catch {
      CgroupSet.remove(created)
      store.remove(id)
      throw error
    }
  }

  /// As runc: a terminal needs --console-socket with --detach, a console socket needs a terminal;
  /// and the checkpoint must agree with process.terminal (CRIU restores the terminal it dumped).
  static func checkTerminal(spec: Spec, terminal: String?, options: RestoreOptions, operation: String)
    throws(RuntimeError)
  {
    let wantsTerminal = spec.process?.terminal ?? false
    if wantsTerminal && options.consoleSocket == nil {
      throw RuntimeError(operation, reason: "process.terminal is true: --console-socket is required", errno: EINVAL)
    }
    if !wantsTerminal && options.consoleSocket != nil {
      throw RuntimeError(
        operation, reason: "--console-socket: process.terminal is false (no terminal to give)", errno: EINVAL)
    }
    if wantsTerminal && terminal == nil {
      throw RuntimeError(
        operation, options.imagePath, reason: "process.terminal is true but the checkpoint's process had no terminal",
        errno: EINVAL)
    }
    if !wantsTerminal && terminal != nil {
      throw RuntimeError(
        operation, options.imagePath, reason: "the checkpoint's process had a terminal: process.terminal must be true",
        errno: EINVAL)
    }
  }

  /// Where the external mounts dumpMounts named are now (keyed by those names): bind sources,
  /// the host's /dev/null for masked files, the new container's cgroup directories (runc's ext_mnt).
  static func restoreMounts(_ spec: Spec, bundle: String, cgroup: CgroupSet) -> [(key: String, value: String)] {
    var mounts: [(key: String, value: String)] = []
    for mount in spec.mounts where mount.isBindMount {
      if let source = mount.source { mounts.append((mount.destination, Paths.absolute(source, base: bundle))) }
    }
    // At dump a mapping's value is the name the image keeps; masked files were all named /dev/null.
    mounts.append((key: "/dev/null", value: "/dev/null"))
    mounts += cgroupBinds(spec, host: cgroup.host).map {
      (key: $0.destination, value: Paths.join($0.mountPoint, cgroup.path))
    }
    return mounts
  }

  /// Descriptors criu inherits (not close-on-exec), closed once criu has run.
  struct InheritedFds {
    var fds: [Int32] = []

    mutating func closeAll() {
      for fd in fds { close(fd) }
      fds = []
    }

    /// As runc: stdio that was a pipe at checkpoint is reconnected to the caller's own stdio
    /// (CRIU's inherit-fd, keyed by the pipe's old name in descriptors.json).
    mutating func callerPipes(recorded path: String, operation: String) throws(RuntimeError) -> [String] {
      guard let text = Files.readIfPresent(path), let value = try? JSON.parse(Array(text.utf8)),
        let names = value.arrayValue?.compactMap(\.stringValue)
      else { return [] }
      var args: [String] = []
      for (fd, name) in names.enumerated() where fd <= 2 && name.hasPrefix("pipe:") {
        let copy = fcntl(Int32(fd), F_DUPFD, 3)  // without FD_CLOEXEC: criu gets it
        if copy < 0 { throw RuntimeError(SystemError("dup", "fd \(fd)"), context: operation) }
        fds.append(copy)
        args += ["--inherit-fd", "fd[\(copy)]:\(name)"]
      }
      return args
    }

    /// A new pty on the host: the slave for criu (inherited), the master kept to send on.
    mutating func newTerminal(size: ConsoleSize?, operation: String) throws(RuntimeError) -> (
      master: Int32, slave: Int32, name: String
    ) {
      let master = LinuxSyscalls().openPtyMaster("/dev/ptmx")
      if master < 0 { throw RuntimeError(SystemError("open", "/dev/ptmx"), context: operation) }
      fds.append(master)
      guard let name = LinuxSyscalls().ptySlaveName(master) else {
        throw RuntimeError(SystemError("ptsname", "/dev/ptmx"), context: operation)
      }
      let slave = open(name, O_RDWR | O_NOCTTY)
      if slave < 0 { throw RuntimeError(SystemError("open", name), context: operation) }
      fds.append(slave)
      if let size {
        _ = LinuxSyscalls().setWindowSize(slave, rows: size.height, columns: size.width)
      }
      return (master, slave, name)
    }
  }
}
