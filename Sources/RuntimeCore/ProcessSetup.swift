import CLinux
import Glibc
import LinuxKit
import Seccomp

/// The container process's attributes, applied in the child after pivot_root.
enum ProcessSetup {
  /// chdir to process.cwd, refusing a directory outside the container's root: through an
  /// fd still open at this point (/proc/self/fd/N) the cwd could be a host directory
  /// (CVE-2024-21626). The kernel then gives no path from our root, and getcwd fails.
  static func enterWorkingDirectory(_ cwd: String) throws {
    _ = try check("chdir", cwd) { chdir(cwd) }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil, buffer[0] == CChar(UInt8(ascii: "/")) else {
      throw RuntimeError("chdir", cwd, reason: "the working directory is outside the container's root", errno: EPERM)
    }
  }

  static func applyHostnameAndSysctl(_ plan: LaunchPlan) throws {
    if let name = plan.hostname {
      _ = try check("sethostname", name) { hk_sethostname(name, name.utf8.count) }
    }
    if let name = plan.domainname {
      _ = try check("setdomainname", name) { hk_setdomainname(name, name.utf8.count) }
    }
    for (key, value) in plan.sysctl {
      let path = SysctlPolicy.procPath(key)
      do { try Files.writeExisting(path, value) } catch { throw SystemError("write sysctl \(key) =", path, errno: error.errno) }
    }
  }

  /// Creates the pty in the container's devpts, sends the master over the console
  /// socket (one message, one SCM_RIGHTS fd, the pty name as payload), and makes the
  /// slave the controlling terminal and stdio. `bindConsole`: the init's terminal is also
  /// /dev/console; an exec'd process's is not (runc leaves /dev/console alone for exec: a
  /// bind of a pty that closes with the exec would go stale under the next one).
  static func setupConsole(_ plan: ProcessPlan, socket: Int32, bindConsole: Bool = true) throws {
    let ptmx = Files.exists("/dev/pts/ptmx") ? "/dev/pts/ptmx" : "/dev/ptmx"
    let master = try check("open", ptmx) { hk_open_pty_master(ptmx) }
    defer { close(master) }
    var nameBuffer = [CChar](repeating: 0, count: 64)
    _ = try check("ptsname", ptmx) { hk_pty_slave_name(master, &nameBuffer, nameBuffer.count) }
    let name = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    let slave = try check("open", name) { hk_open_mode(name, O_RDWR | O_NOCTTY, 0) }
    // As runc: the terminal belongs to the process's user (its group stays devpts' gid, tty).
    if plan.uid != 0 { _ = try check("chown", name) { fchown(slave, plan.uid, gid_t.max) } }
    if let size = plan.consoleSize {
      var ws = winsize(ws_row: size.rows, ws_col: size.cols, ws_xpixel: 0, ws_ypixel: 0)
      _ = hk_ioctl_ptr(slave, UInt(TIOCSWINSZ), &ws)
    }
    var payload = Array(name.utf8)
    payload.append(0)
    _ = try check("send console to", "--console-socket") { payload.withUnsafeBytes { hk_send_fd(socket, master, $0.baseAddress, $0.count) } }
    close(socket)
    // runtime-linux.md: with a terminal, /dev/console is the pty's slave (a bind mount).
    if bindConsole && Files.isDirectory("/dev") {
      let console = hk_open_mode("/dev/console", O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0o600)  // never wait on an image's FIFO
      if console >= 0 { close(console) }
      try Mounts.mount(source: name, target: "/dev/console", type: nil, flags: UInt(MS_BIND), label: "/dev/console")
    }
    _ = try check("set controlling terminal", name) { hk_set_controlling_tty(slave) }
    for target: Int32 in 0...2 { _ = try check("dup2", name) { dup2(slave, target) } }
    if slave > 2 { close(slave) }
  }

  /// A session (and process group) of the process's own, as runc gives its init and exec'd
  /// processes: a terminal's signals (^C) then reach hull, which forwards them, not the
  /// container's processes behind its back. With a terminal, setupConsole does it.
  static func enterOwnSession() {
    _ = setsid()
  }

  /// rlimits and oom_score_adj: before the process waits for `start`, so that a limit the
  /// host refuses fails `create`, as with runc.
  static func applyLimits(_ plan: ProcessPlan) throws {
    for limit in plan.rlimits {
      var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
      if setrlimit(__rlimit_resource_t(UInt32(limit.resource)), &value) != 0 {
        throw SystemError("setrlimit \(limit.name) (soft \(limit.soft), hard \(limit.hard))", "")
      }
    }
    if let adj = plan.oomScoreAdj {
      do { try Files.writeExisting("/proc/self/oom_score_adj", String(adj)) } catch {
        throw SystemError("set oom_score_adj \(adj) in", "/proc/self/oom_score_adj", errno: error.errno)
      }
    }
  }

  /// User and capabilities in runc's order: keep caps across setuid, drop the bounding
  /// set, switch ids, set the sets, no_new_privs. Runs after `start` (and the
  /// startContainer hooks), right before execve.
  ///
  /// The seccomp filter goes in as late as the kernel allows: with no_new_privs, after
  /// everything (the filter then sees only execve); without it, loading needs
  /// CAP_SYS_ADMIN, so it goes in before the user switch, and the filter sees only
  /// setgroups, setresgid, setresuid, capset, prctl and execve.
  static func applyIdentity(_ plan: ProcessPlan) throws {
    try plan.attributes.applyEarly()
    _ = try check("prctl PR_SET_KEEPCAPS") { hk_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) }
    if let caps = plan.capabilities { try caps.dropBoundingSet() }
    if !plan.noNewPrivileges { try loadSeccomp(plan) }
    if plan.setgroupsAllowed {
      let groups = plan.additionalGids
      let rc = groups.withUnsafeBufferPointer { hk_setgroups($0.count, $0.baseAddress) }
      if rc != 0 { throw SystemError("setgroups") }
    }
    _ = try check("setresgid \(plan.gid)") { hk_setresgid(plan.gid) }
    _ = try check("setresuid \(plan.uid)") { hk_setresuid(plan.uid) }
    if let caps = plan.capabilities { try caps.applySets() }
    _ = hk_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)
    try plan.attributes.applyFinal()
    umask(plan.umask)
    if plan.noNewPrivileges {
      _ = try check("prctl PR_SET_NO_NEW_PRIVS") { hk_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }
      try loadSeccomp(plan)
    }
  }

  /// This process's pid in the host's pid namespace, read from the host's /proc before
  /// any mount changes it (getpid() says 1 inside a new pid namespace).
  nonisolated(unsafe) static var hostPid: Int32 = 0
  /// Connected to linux.seccomp.listenerPath while the host's paths are still reachable
  /// (before pivot_root, or before joining the container's mount namespace).
  nonisolated(unsafe) static var listenerSocket: Int32 = -1
  /// The channel to the parent that forwards the listener (see SeccompNotify.handoffMessage).
  nonisolated(unsafe) static var listenerParent: Int32 = -1

  static func connectListener(_ plan: ProcessPlan) throws {
    guard plan.listenerState != nil, let path = plan.seccompListenerPath else { return }
    do { listenerSocket = try SeccompNotify.connect(to: path) } catch {
      throw RuntimeError("failed to connect with seccomp agent (linux.seccomp.listenerPath)", path, reason: error.reason,
                         errno: error.errno)
    }
  }

  static func recordHostPid() {
    var buffer = [CChar](repeating: 0, count: 32)
    let n = readlink("/proc/self", &buffer, buffer.count - 1)
    if n > 0 { hostPid = Int32(String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)) ?? 0 }
  }

  static func loadSeccomp(_ plan: ProcessPlan) throws {
    guard let program = plan.seccomp else { return }
    // SCMP_ACT_NOTIFY: the hand-off message is made before the load; after it, one write(2).
    var handoff: [UInt8] = []
    if program.usesNotify, var state = plan.listenerState, listenerSocket >= 0, listenerParent >= 0 {
      state.pid = hostPid
      do {
        handoff = try SeccompNotify.handoffMessage(tag: UInt8(ascii: "n"), socket: listenerSocket, stateJSON: state.json(),
                                                   metadata: plan.seccompListenerMetadata)
      } catch { throw RuntimeError("send seccomp listener to", plan.seccompListenerPath ?? "", reason: error.reason, errno: error.errno) }
    }
    let listener: Int32
    do { listener = try program.load() } catch {
      throw RuntimeError(error.operation, error.field, reason: error.reason, errno: error.errno)
    }
    guard listener >= 0 else { return }
    // Our copies go once the parent holds its own (or if it failed: we then exit).
    defer { close(listener) }
    guard !handoff.isEmpty else { return }
    defer { close(listenerSocket) }
    SeccompNotify.fillListener(listener, into: &handoff)
    let written = handoff.withUnsafeBytes { Glibc.write(listenerParent, $0.baseAddress, $0.count) }
    var reply: UInt8 = 0
    guard written == handoff.count, Glibc.read(listenerParent, &reply, 1) == 1, reply == UInt8(ascii: "N") else {
      _exit(1)  // the parent could not forward it and reports why
    }
  }

  /// Joins the container's session keyring by name, making it first if need be, and lets
  /// its owner search it, so that later exec'd processes find the same one (as runc does).
  static func joinSessionKeyring(containerID: String) throws {
    if hk_join_named_session_keyring("_ses." + containerID) < 0 && errno != ENOSYS {
      throw SystemError("keyctl join session keyring", "_ses." + containerID)
    }
  }

  /// Finds args[0] the way execvp would, in the container's PATH, with runc's wording
  /// so that docker and podman map a missing binary to exit 127.
  static func resolveExecutable(_ plan: ProcessPlan) throws -> String {
    guard let name = plan.args.first, !name.isEmpty else {
      throw RuntimeError("exec", reason: "process.args is empty", errno: EINVAL)
    }
    var st = stat()
    if name.contains("/") {
      if stat(name, &st) != 0 { throw RuntimeError("exec", reason: "\"\(name)\": stat \(name): \(SystemError.describe(errno))", errno: errno) }
      try requireInsideRoot(name, args0: name)
      return name
    }
    let pathVar = plan.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
      ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for dir in pathVar.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
      if stat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0o111) != 0 {
        try requireInsideRoot(candidate, args0: name)
        return candidate
      }
    }
    throw RuntimeError("exec", reason: "\"\(name)\": executable file not found in $PATH", errno: ENOENT)
  }

  /// The program must be a file of the container's tree. A walk through a magic link
  /// (/proc/self/fd/N/.. of a host directory the caller passed as stdio or a preserved fd)
  /// can end on the host, and execve would run a host binary in the container (CVE-2024-21626's
  /// class). Without magic links a walk cannot leave our root. With them, the kernel names the
  /// file from our root when it is reachable (else from the host's): looked up again, that
  /// name must give the same file. A file reachable only as the fd itself (a memfd, a deleted
  /// file, /proc/self/exe, /proc/self/fd/N exactly) is one the caller handed over, not a walk.
  static func requireInsideRoot(_ path: String, args0 name: String) throws {
    let plain = hk_open_no_magiclinks(path, O_PATH | O_CLOEXEC)
    if plain >= 0 { close(plain); return }
    let fd = hk_open_mode(path, O_PATH | O_CLOEXEC, 0)
    guard fd >= 0 else { return }  // gone since stat: execve reports it
    defer { close(fd) }
    var file = stat()
    var named = stat()
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
    if n > 0 && fstat(fd, &file) == 0 {
      buffer[n] = 0
      if file.st_nlink == 0 || (stat(buffer, &named) == 0 && named.st_dev == file.st_dev && named.st_ino == file.st_ino) { return }
    }
    if isOwnFileLink(path) { return }
    throw RuntimeError("exec", reason: "\"\(name)\": \(path) is outside the container's root", errno: EPERM)
  }

  /// /proc/self/exe, /proc/self/fd/N, /dev/fd/N: no directory walk through the link.
  static func isOwnFileLink(_ path: String) -> Bool {
    if path == "/proc/self/exe" { return true }
    for prefix in ["/proc/self/fd/", "/dev/fd/"] where path.hasPrefix(prefix) {
      let rest = path.dropFirst(prefix.count)
      return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }
    return false
  }

  /// HOME from the container's /etc/passwd when the spec does not set it (no NSS).
  static func environment(_ plan: ProcessPlan) -> [String] {
    if plan.env.contains(where: { $0.hasPrefix("HOME=") }) { return plan.env }
    return plan.env + ["HOME=" + (Passwd.entry(uid: plan.uid)?.home ?? "/")]
  }

  /// Closes every fd but stdio, the preserved ones and `keep` (hull's own sockets to the
  /// parent and the console socket): closed, not only close-on-exec, because chdir and
  /// execve walk their paths while close-on-exec fds are still open, and /proc/self/fd/N/..
  /// of a host directory (the unified cgroup of clone3, a caller's fd) leads to the host.
  static func closeInheritedFds(_ plan: ProcessPlan, keep: [Int32]) {
    var first = UInt32(3 + plan.preserveFds)
    for fd in keep.filter({ $0 >= 0 && UInt32($0) >= first }).sorted() {
      if UInt32(fd) > first { _ = hk_close_range(first, UInt32(fd) - 1, 0) }
      first = UInt32(fd) + 1
    }
    _ = hk_close_range(first, UInt32.max, 0)
  }

  /// Everything from fd 3 + preserveFds up closes at exec; preserved fds stay open.
  static func markFdsCloseOnExec(_ plan: ProcessPlan, keep ownFds: [Int32]) {
    let first = UInt32(3 + plan.preserveFds)
    _ = hk_close_range(first, UInt32.max, 4 /* CLOSE_RANGE_CLOEXEC */)
    var fd: Int32 = 3
    while fd < 3 + plan.preserveFds {
      if !ownFds.contains(fd) { _ = hk_fcntl_int(fd, F_SETFD, 0) }
      fd += 1
    }
  }

  /// argv and envp built before the last setup steps, so that nothing between loading a
  /// seccomp filter and execve allocates or makes other syscalls.
  struct PreparedExec {
    let path: UnsafeMutablePointer<CChar>
    let argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(path: String, args: [String], env: [String]) {
      self.path = strdup(path)
      argv = .allocate(capacity: args.count + 1)
      for (i, arg) in args.enumerated() { argv[i] = strdup(arg) }
      argv[args.count] = nil
      envp = .allocate(capacity: env.count + 1)
      for (i, entry) in env.enumerated() { envp[i] = strdup(entry) }
      envp[env.count] = nil
    }

    /// Returns only on failure, with errno.
    func execute() -> Int32 {
      execve(path, argv, envp)
      return errno
    }
  }
}
