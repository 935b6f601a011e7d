// A fake kernel for the container init's unit tests: it records every call of
// LinuxKit.Syscalls and makes none that needs privilege or would change this (the test)
// process. Lookups run for real inside a temp rootfs, so that RootfsPath resolves paths
// with the kernel's own openat2(RESOLVE_IN_ROOT); after pivot_root, absolute paths are
// looked up below that rootfs, as they would be in the container.
import Glibc
import LinuxKit

final class RecordingSyscalls: Syscalls {
  struct Call: CustomStringConvertible {
    let name: String
    /// Arguments as text; a /proc/self/fd/N path is replaced by the real path of fd N.
    let args: [String]
    let result: Int
    var description: String { "\(name)(\(args.joined(separator: ", "))) = \(result)" }
  }

  private(set) var calls: [Call] = []
  /// The real path of the test's rootfs.
  let rootfs: String
  /// Set by pivot_root (or chroot): where absolute paths are looked up from then on.
  private(set) var newRoot: String?
  private var cwd = "/"
  /// fds the fake handed out for paths it does not open (a /dev/null each): what they stand for.
  /// The code under test closes them (never the fake: a number closed twice may be another
  /// test's fd by then).
  private var placeholders: [Int32: String] = [:]
  private let real = LinuxSyscalls()

  /// Calls to fail, by name, with the errno to fail with.
  var failing: [String: Int32] = [:]
  /// What /proc/self/mountinfo reads.
  var mountinfo = ""
  /// What /proc/self reads (this process's pid on the "host").
  var hostPid: Int32 = 4242
  /// The capabilities PR_CAPBSET_READ finds.
  var boundingSet: [Int32] = Array(0...40)
  /// The reply byte a read gets (the parent's "N" after a seccomp listener hand-off).
  var readReply: UInt8 = 0x4e  // SyncMessage.seccompListenerSent
  /// What the fake execve returns (it never execs).
  var execveErrno: Int32 = ENOEXEC

  init(rootfs: String) {
    self.rootfs = rootfs
  }

  // MARK: the record

  /// The calls named `names`, in order.
  func calls(_ names: String...) -> [Call] { calls.filter { names.contains($0.name) } }

  /// The index of the first call named `name` whose arguments contain `argument` (any when nil).
  func index(of name: String, with argument: String? = nil) -> Int? {
    calls.firstIndex { $0.name == name && (argument == nil || $0.args.contains(argument!)) }
  }

  private func record(_ name: String, _ args: [String], result: Int = 0) -> Int {
    calls.append(Call(name: name, args: args, result: result))
    return result
  }

  /// Records `name`; returns 0, or -1 with errno when the test made it fail.
  private func fake(_ name: String, _ args: String...) -> Int32 {
    if let e = failing[name] {
      _ = record(name, args, result: -1)
      errno = e
      return -1
    }
    return Int32(record(name, args))
  }

  /// A path as the test reads it: /proc/self/fd/N (and /proc/self/fd/N/name) becomes what N is
  /// open on (and name under it).
  func describe(_ path: String) -> String {
    let prefix = "/proc/self/fd/"
    guard path.hasPrefix(prefix) else { return path }
    let rest = path.dropFirst(prefix.count)
    let number = rest.prefix { $0 != "/" }
    guard let fd = Int32(number) else { return path }
    let base = "/proc/self/fd/\(fd)"
    return (placeholders[fd] ?? real.readlink(base) ?? base) + rest.dropFirst(number.count)
  }

  /// Where an absolute path of the process lies on this machine.
  func hostPath(_ path: String) -> String {
    guard let newRoot, path.hasPrefix("/"), !path.hasPrefix("/proc/self/fd/") else { return path }
    return path == "/" ? newRoot : newRoot + path
  }

  private func isInRootfs(_ path: String) -> Bool { path == rootfs || path.hasPrefix(rootfs + "/") }

  private func placeholder(for path: String) -> Int32 {
    let fd = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
    placeholders[fd] = path
    return fd
  }

  private static func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

  // MARK: mounts

  func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?) -> Int32 {
    // A bind onto something missing fails as the kernel's would (readonlyPaths and maskedPaths
    // skip it); so does a bind of a file onto a directory (ENOTDIR: maskedPaths then use a tmpfs).
    if flags & UInt(MS_BIND) != 0, flags & UInt(MS_REMOUNT) == 0, newRoot != nil {
      let targetStat = real.stat(hostPath(target))
      let isDirectory = { (st: Glibc.stat) in (st.st_mode & S_IFMT) == S_IFDIR }
      let fileOntoDirectory =
        targetStat.map(isDirectory) == true && source.flatMap { real.stat($0) }.map(isDirectory) == false
      if targetStat == nil || fileOntoDirectory {
        _ = record("mount", [source ?? "-", describe(target), type ?? "-", Self.hex(flags), data ?? "-"], result: -1)
        errno = targetStat == nil ? ENOENT : ENOTDIR
        return -1
      }
    }
    return fake("mount", source ?? "-", describe(target), type ?? "-", Self.hex(flags), data ?? "-")
  }
  func umount2(_ target: String, _ flags: Int32) -> Int32 { fake("umount2", describe(target), Self.hex(flags)) }
  func pivotRoot(_ newRoot: String, _ putOld: String) -> Int32 {
    let rc = fake("pivot_root", newRoot, putOld)
    if rc == 0 { self.newRoot = cwd }
    return rc
  }
  func moveMount(_ tree: Int32, onto target: Int32) -> Int32 {
    fake("move_mount", describe("/proc/self/fd/\(tree)"), describe("/proc/self/fd/\(target)"))
  }
  func setMountAttributes(_ fd: Int32, recursive attributes: UInt64) -> Int32 {
    fake("mount_setattr", describe("/proc/self/fd/\(fd)"), Self.hex(attributes))
  }
  func chroot(_ path: String) -> Int32 {
    let rc = fake("chroot", path)
    if rc == 0 && newRoot == nil { newRoot = path == "." ? cwd : path }
    return rc
  }
  func chdir(_ path: String) -> Int32 {
    let rc = fake("chdir", path)
    if rc == 0 { cwd = path }
    return rc
  }
  func fchdir(_ fd: Int32) -> Int32 {
    let path = describe("/proc/self/fd/\(fd)")
    let rc = fake("fchdir", path)
    if rc == 0 { cwd = path }
    return rc
  }
  func getcwd() -> String? { newRoot == nil ? cwd : (cwd.hasPrefix("/") ? cwd : "/") }

  // MARK: namespaces

  func setns(_ fd: Int32, _ type: Int32) -> Int32 { fake("setns", describe("/proc/self/fd/\(fd)"), Self.hex(type)) }
  func unshare(_ flags: Int32) -> Int32 { fake("unshare", Self.hex(flags)) }
  func bringLoopbackUp() -> Int32 { fake("loopback_up") }
  func sethostname(_ name: String) -> Int32 { fake("sethostname", name) }
  func setdomainname(_ name: String) -> Int32 { fake("setdomainname", name) }
  func joinSessionKeyring(_ name: String) -> Int32 { fake("keyctl_join", name) }

  // MARK: identity

  func setresuid(_ uid: UInt32) -> Int32 { fake("setresuid", String(uid)) }
  func setresgid(_ gid: UInt32) -> Int32 { fake("setresgid", String(gid)) }
  func setgroups(_ gids: [UInt32]) -> Int32 { fake("setgroups", gids.map(String.init).joined(separator: ",")) }
  func prctl(_ option: Int32, _ arg2: UInt, _ arg3: UInt) -> Int32 {
    let rc = fake("prctl", String(option), String(arg2), String(arg3))
    if rc == 0 && option == PR_CAPBSET_READ { return boundingSet.contains(Int32(arg2)) ? 1 : 0 }
    return rc
  }
  func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) -> Int32 {
    fake("capset", Self.hex(effective), Self.hex(permitted), Self.hex(inheritable))
  }
  func loadSeccompFilter(flags: UInt32, instructions: [UInt8]) -> Int32 {
    let rc = fake("seccomp", Self.hex(flags), String(instructions.count / 8))
    guard rc == 0 else { return rc }
    // SECCOMP_FILTER_FLAG_NEW_LISTENER: the listener is an fd.
    return flags & 8 != 0 ? placeholder(for: "seccomp listener") : 0
  }

  // MARK: files

  func open(_ path: String, _ flags: Int32, _ mode: UInt32) -> Int32 {
    if fake("open", path, Self.hex(flags)) != 0 { return -1 }
    let where_ = hostPath(path)
    guard isInRootfs(where_) else { return placeholder(for: path) }
    // Inside the rootfs: opened for real, never for writing.
    return real.open(where_, flags & ~(O_CREAT | O_TRUNC | O_WRONLY | O_RDWR | O_APPEND), 0)
  }
  func openInRoot(_ rootFD: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) -> Int32 {
    if fake("openat2_in_root", describe("/proc/self/fd/\(rootFD)"), path) != 0 { return -1 }
    return real.openInRoot(rootFD, path, flags, mode)
  }
  func openNoMagicLinks(_ path: String, _ flags: Int32) -> Int32 {
    if fake("openat2_no_magiclinks", path) != 0 { return -1 }
    return real.openNoMagicLinks(hostPath(path), flags)
  }
  func stat(_ path: String) -> Glibc.stat? { real.stat(hostPath(path)) }
  func statvfs(_ path: String) -> Glibc.statvfs? { real.statvfs(hostPath(path)) }
  func readlink(_ path: String) -> String? {
    if path == "/proc/self" { return String(hostPid) }
    return path.hasPrefix("/proc/self/fd/") ? describe(path) : real.readlink(hostPath(path))
  }
  func readFile(_ path: String, limit: Int) -> [UInt8]? {
    if path == "/proc/self/mountinfo" { return Array(mountinfo.utf8) }
    return real.readFile(hostPath(path), limit: limit)
  }
  func writeFile(_ path: String, _ value: String) -> Int32 { fake("write_file", path, value) }
  func chmod(_ path: String, _ mode: UInt32) -> Int32 { fake("chmod", describe(path), String(mode, radix: 8)) }
  func mknodat(_ dir: Int32, _ name: String, _ mode: UInt32, _ device: UInt) -> Int32 {
    fake("mknodat", describe("/proc/self/fd/\(dir)") + "/" + name, String(mode, radix: 8), Self.hex(device))
  }
  func fchownat(_ dir: Int32, _ name: String, _ uid: UInt32, _ gid: UInt32, _ flags: Int32) -> Int32 {
    fake("fchownat", describe("/proc/self/fd/\(dir)") + "/" + name, String(uid), String(gid))
  }
  func fchown(_ fd: Int32, _ uid: UInt32, _ gid: UInt32) -> Int32 {
    fake("fchown", describe("/proc/self/fd/\(fd)"), String(uid), String(gid))
  }
  func umask(_ mask: UInt32) -> UInt32 {
    _ = record("umask", [String(mask, radix: 8)])
    return 0o022
  }

  // MARK: descriptors

  func closeRange(_ first: UInt32, _ last: UInt32, _ flags: UInt32) -> Int32 {
    fake("close_range", String(first), String(last), String(flags))
  }
  func fcntl(_ fd: Int32, _ command: Int32, _ argument: Int32) -> Int32 {
    fake("fcntl", String(fd), String(command), String(argument))
  }
  func dup2(_ fd: Int32, _ target: Int32) -> Int32 {
    fake("dup2", describe("/proc/self/fd/\(fd)"), String(target)) == 0 ? target : -1
  }
  func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    fake("write", String(fd), String(decoding: bytes, as: UTF8.self)) == 0 ? bytes.count : -1
  }
  func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    guard fake("read", String(fd)) == 0, buffer.count > 0 else { return -1 }
    buffer[0] = readReply
    return 1
  }
  func sendFD(_ socket: Int32, _ fd: Int32, payload: [UInt8]) -> Int32 {
    fake(
      "send_fd", String(socket), describe("/proc/self/fd/\(fd)"),
      String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self))
  }
  func connectUnix(_ path: String) -> Int32 {
    fake("connect", path) == 0 ? placeholder(for: "socket connected to " + path) : -1
  }

  // MARK: terminal

  func openPtyMaster(_ ptmx: String) -> Int32 {
    fake("open_pty_master", ptmx) == 0 ? placeholder(for: "pty master") : -1
  }
  func ptySlaveName(_ master: Int32) -> String? { "/dev/pts/0" }
  func setWindowSize(_ fd: Int32, rows: UInt16, columns: UInt16) -> Int32 {
    fake("set_window_size", describe("/proc/self/fd/\(fd)"), String(rows), String(columns))
  }
  func setControllingTerminal(_ fd: Int32) -> Int32 { fake("set_controlling_tty", describe("/proc/self/fd/\(fd)")) }
  func setsid() -> Int32 { fake("setsid") }

  // MARK: process attributes

  func setrlimit(_ resource: Int32, soft: UInt64, hard: UInt64) -> Int32 {
    fake("setrlimit", String(resource), String(soft), String(hard))
  }
  func personality(_ persona: UInt) -> Int32 { fake("personality", String(persona)) }
  func schedSetattr(
    policy: UInt32, nice: Int32, priority: UInt32, flags: UInt64, runtime: UInt64, deadline: UInt64,
    period: UInt64
  ) -> Int32 {
    fake("sched_setattr", String(policy), String(nice), String(priority))
  }
  func ioprioSet(class ioClass: Int32, level: Int32) -> Int32 { fake("ioprio_set", String(ioClass), String(level)) }
  func setAffinity(_ cpus: [Int32]) -> Int32 { fake("sched_setaffinity", cpus.map(String.init).joined(separator: ",")) }
  func setMempolicy(_ mode: Int32, nodemask: [UInt]) -> Int32 {
    fake("set_mempolicy", String(mode), nodemask.map { Self.hex($0) }.joined(separator: ","))
  }
  func execve(
    _ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32 {
    var args: [String] = [String(cString: path)]
    var i = 0
    while let arg = argv[i] {
      args.append(String(cString: arg))
      i += 1
    }
    _ = record("execve", args)
    return execveErrno
  }
}
