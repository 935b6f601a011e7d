import Glibc
import LinuxKit

/// The container process's attributes, applied in the child (the init after pivot_root, or
/// an exec'd process after setns), through the context's kernel.
enum ProcessSetup {
  /// chdir to process.cwd, refusing a directory outside the container's root: through an
  /// fd still open at this point (/proc/self/fd/N) the cwd could be a host directory
  /// (CVE-2024-21626). The kernel then gives no path from our root, and getcwd fails.
  static func enterWorkingDirectory<K>(_ cwd: String, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    _ = try check("chdir", cwd) { kernel.chdir(cwd) }
    guard let current = kernel.getcwd(), current.hasPrefix("/") else {
      throw RuntimeError("chdir", cwd, reason: "the working directory is outside the container's root", errno: EPERM)
    }
  }

  static func applyHostnameAndSysctl<K>(_ plan: LaunchPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    if let name = plan.hostname {
      _ = try check("sethostname", name) { kernel.sethostname(name) }
    }
    if let name = plan.domainname {
      _ = try check("setdomainname", name) { kernel.setdomainname(name) }
    }
    for (key, value) in plan.sysctl {
      let path = SysctlPolicy.procPath(key)
      if kernel.writeFile(path, value) != 0 { throw SystemError("write sysctl \(key) =", path) }
    }
  }

  /// Creates the pty in the container's devpts, sends the master over the console
  /// socket (one message, one SCM_RIGHTS fd, the pty name as payload), and makes the
  /// slave the controlling terminal and stdio. `bindConsole`: the init's terminal is also
  /// /dev/console; an exec'd process's is not (runc leaves /dev/console alone for exec: a
  /// bind of a pty that closes with the exec would go stale under the next one).
  static func setupConsole<K>(_ plan: ProcessPlan, _ context: InitContext<K>, bindConsole: Bool = true) throws {
    let kernel = context.kernel
    let socket = context.consoleSocket
    let ptmx = kernel.exists("/dev/pts/ptmx") ? "/dev/pts/ptmx" : "/dev/ptmx"
    let master = try check("open", ptmx) { kernel.openPtyMaster(ptmx) }
    defer { close(master) }
    guard let name = kernel.ptySlaveName(master) else { throw SystemError("ptsname", ptmx) }
    let slave = try check("open", name) { kernel.open(name, O_RDWR | O_NOCTTY, 0) }
    // As runc: the terminal belongs to the process's user (its group stays devpts' gid, tty).
    if plan.uid != 0 { _ = try check("chown", name) { kernel.fchown(slave, plan.uid, gid_t.max) } }
    if let size = plan.consoleSize {
      _ = try check("set the terminal size of", name) {
        kernel.setWindowSize(slave, rows: size.rows, columns: size.cols)
      }
    }
    var payload = Array(name.utf8)
    payload.append(0)
    _ = try check("send console to", "--console-socket") { kernel.sendFD(socket, master, payload: payload) }
    close(socket)
    // runtime-linux.md: with a terminal, /dev/console is the pty's slave (a bind mount). An
    // image without /dev (and a config that mounts none) gets no console, as with runc.
    if bindConsole && kernel.isDirectory("/dev") {
      // Created O_NONBLOCK: never wait on an image's FIFO. Failing here is left to the mount below.
      let console = kernel.open("/dev/console", O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0o600)
      if console >= 0 { close(console) }
      try kernel.mount(source: name, target: "/dev/console", type: nil, flags: UInt(MS_BIND), label: "/dev/console")
    }
    _ = try check("set controlling terminal", name) { kernel.setControllingTerminal(slave) }
    for target: Int32 in 0...2 { _ = try check("dup2", name) { kernel.dup2(slave, target) } }
    if slave > 2 { close(slave) }
  }

  /// A session (and process group) of the process's own, as runc gives its init and exec'd
  /// processes: a terminal's signals (^C) then reach hull, which forwards them, not the
  /// container's processes behind its back. With a terminal, setupConsole does it.
  static func enterOwnSession<K>(_ context: InitContext<K>) throws {
    // EPERM: already a process group leader (a session of its own), nothing to do.
    if context.kernel.setsid() < 0 && errno != EPERM { throw SystemError("setsid") }
  }

  /// rlimits and oom_score_adj: before the process waits for `start`, so that a limit the
  /// host refuses fails `create`, as with runc.
  static func applyLimits<K>(_ plan: ProcessPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    for limit in plan.rlimits {
      if kernel.setrlimit(limit.resource, soft: limit.soft, hard: limit.hard) != 0 {
        throw SystemError("setrlimit \(limit.name) (soft \(limit.soft), hard \(limit.hard))", "")
      }
    }
    if let adj = plan.oomScoreAdj, kernel.writeFile("/proc/self/oom_score_adj", String(adj)) != 0 {
      throw SystemError("set oom_score_adj \(adj) in", "/proc/self/oom_score_adj")
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
  static func applyIdentity<K>(_ plan: ProcessPlan, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    try plan.attributes.applyEarly(kernel)
    // Keep-caps matters only when setresuid leaves uid 0 (capabilities(7)): a process that
    // stays root keeps its sets without it.
    let keepCaps = plan.uid != 0
    if keepCaps { _ = try check("prctl PR_SET_KEEPCAPS") { kernel.prctl(PR_SET_KEEPCAPS, 1) } }
    if let caps = plan.capabilities { try caps.dropBoundingSet(using: kernel) }
    if !plan.noNewPrivileges { try SeccompSetup.load(plan, context) }
    if plan.setgroupsAllowed {
      if kernel.setgroups(plan.additionalGids) != 0 { throw SystemError("setgroups") }
    }
    _ = try check("setresgid \(plan.gid)") { kernel.setresgid(plan.gid) }
    _ = try check("setresuid \(plan.uid)") { kernel.setresuid(plan.uid) }
    if let caps = plan.capabilities { try caps.applySets(using: kernel) }
    // Not checked: keep-caps only mattered across the setresuid above, and a filter loaded
    // without no_new_privs may refuse prctl (the process then keeps the flag; execve clears it).
    if keepCaps { _ = kernel.prctl(PR_SET_KEEPCAPS, 0) }
    try plan.attributes.applyFinal(kernel)
    _ = kernel.umask(plan.umask)  // returns the previous mask; it cannot fail
    if plan.noNewPrivileges {
      _ = try check("prctl PR_SET_NO_NEW_PRIVS") { kernel.prctl(PR_SET_NO_NEW_PRIVS, 1) }
      try SeccompSetup.load(plan, context)
    }
  }

  /// This process's pid in the host's pid namespace, from the host's /proc (see
  /// InitContext.hostPid): the pid that hooks and the seccomp agent are given.
  static func recordHostPid<K>(_ context: inout InitContext<K>) throws {
    guard let text = context.kernel.readlink("/proc/self"), let pid = Int32(text), pid > 0 else {
      throw SystemError(
        "read the host pid of the container process from", "/proc/self", errno: errno == 0 ? EINVAL : errno)
    }
    context.hostPid = pid
  }

  /// Joins the container's session keyring by name, making it first if need be, and lets
  /// its owner search it, so that later exec'd processes find the same one (as runc does).
  static func joinSessionKeyring<K>(containerID: String, _ context: InitContext<K>) throws {
    if context.kernel.joinSessionKeyring("_ses." + containerID) < 0 && errno != ENOSYS {
      throw SystemError("keyctl join session keyring", "_ses." + containerID)
    }
  }

  /// Finds args[0] the way execvp would, in the container's PATH, with runc's wording
  /// so that docker and podman map a missing binary to exit 127.
  static func resolveExecutable<K>(_ plan: ProcessPlan, _ context: InitContext<K>) throws -> String {
    let kernel = context.kernel
    guard let name = plan.args.first, !name.isEmpty else {
      throw RuntimeError("exec", reason: "process.args is empty", errno: EINVAL)
    }
    if name.contains("/") {
      if kernel.stat(name) == nil {
        throw RuntimeError("exec", reason: "\"\(name)\": stat \(name): \(SystemError.describe(errno))", errno: errno)
      }
      try requireInsideRoot(name, args0: name, context)
      return name
    }
    let pathVar =
      plan.env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
      ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    for dir in pathVar.split(separator: ":", omittingEmptySubsequences: false) {
      let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
      if let st = kernel.stat(candidate), (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0o111) != 0 {
        try requireInsideRoot(candidate, args0: name, context)
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
  static func requireInsideRoot<K>(_ path: String, args0 name: String, _ context: InitContext<K>) throws {
    let kernel = context.kernel
    let plain = kernel.openNoMagicLinks(path, O_PATH | O_CLOEXEC)
    if plain >= 0 {
      close(plain)
      return
    }
    let fd = kernel.open(path, O_PATH | O_CLOEXEC, 0)
    guard fd >= 0 else { return }  // gone since stat: execve reports it
    defer { close(fd) }
    let link = Paths.procSelfFD(fd)
    if let named = kernel.readlink(link), let file = kernel.stat(link) {
      if file.st_nlink == 0 { return }
      if let found = kernel.stat(named), found.st_dev == file.st_dev && found.st_ino == file.st_ino { return }
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
  static func environment<K>(_ plan: ProcessPlan, _ context: InitContext<K>) -> [String] {
    if plan.env.contains(where: { $0.hasPrefix("HOME=") }) { return plan.env }
    let passwd = context.kernel.readFile("/etc/passwd", limit: Passwd.limit).map { String(decoding: $0, as: UTF8.self) }
    return plan.env + ["HOME=" + (passwd.flatMap { Passwd.entry(uid: plan.uid, in: $0) }?.home ?? "/")]
  }

  /// Closes every fd but stdio, the preserved ones and `keep` (hull's own sockets to the
  /// parent and the console socket): closed, not only close-on-exec, because chdir and
  /// execve walk their paths while close-on-exec fds are still open, and /proc/self/fd/N/..
  /// of a host directory (the unified cgroup of clone3, a caller's fd) leads to the host.
  static func closeInheritedFds<K>(_ plan: ProcessPlan, keep: [Int32], _ context: InitContext<K>) throws {
    let kernel = context.kernel
    var first = UInt32(3 + plan.preserveFds)
    for fd in keep.filter({ $0 >= 0 && UInt32($0) >= first }).sorted() {
      if UInt32(fd) > first { _ = try check("close_range") { kernel.closeRange(first, UInt32(fd) - 1, 0) } }
      first = UInt32(fd) + 1
    }
    _ = try check("close_range") { kernel.closeRange(first, UInt32.max, 0) }
  }

  /// Everything from fd 3 + preserveFds up closes at exec; preserved fds stay open.
  static func markFdsCloseOnExec<K>(_ plan: ProcessPlan, keep ownFds: [Int32], _ context: InitContext<K>) throws {
    let kernel = context.kernel
    let first = UInt32(3 + plan.preserveFds)
    _ = try check("close_range (close-on-exec)") { kernel.closeRange(first, UInt32.max, CLOSE_RANGE_CLOEXEC) }
    var fd: Int32 = 3
    while fd < 3 + plan.preserveFds {
      // --preserve-fds checked these are open (CreateOptions.preservedFds).
      if !ownFds.contains(fd) {
        _ = try check("fcntl F_SETFD", "fd \(fd) (--preserve-fds)") { kernel.fcntl(fd, F_SETFD, 0) }
      }
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
    func execute<K: Syscalls>(_ kernel: K) -> Int32 { kernel.execve(path, argv, envp) }
  }
}
