import Glibc

/// The kernel calls of a container's init and of an exec'd process, before execve: one door,
/// so that their sequence can be run against a recording fake without root
/// (Tests/HullTests/Support/RecordingSyscalls.swift). `LinuxSyscalls` is the real one.
///
/// Each requirement is one C call with its arguments and its result: -1 (or nil) with `errno`
/// set on failure, so that callers keep their own error wording (`check(...) { ... }`).
/// Through here goes every call that needs privilege or changes the calling process (mounts,
/// namespaces, ids, capabilities, limits, descriptors, the terminal, seccomp, execve) and every
/// lookup by absolute path (which pivot_root changes the meaning of). Lookups relative to a
/// directory fd already inside the rootfs (RootfsPath's mkdirat, readlinkat, fstatat) are made
/// directly: they cannot leave it and need no privilege.
///
/// Callers are generic over it (`<S: Syscalls>`), so the real calls are specialised and direct.
public protocol Syscalls {
  // MARK: mounts
  func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?) -> Int32
  func umount2(_ target: String, _ flags: Int32) -> Int32
  func pivotRoot(_ newRoot: String, _ putOld: String) -> Int32
  /// move_mount(tree, "", target, "", F_EMPTY_PATH | T_EMPTY_PATH): a detached tree onto an fd.
  func moveMount(_ tree: Int32, onto target: Int32) -> Int32
  /// mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE) setting MOUNT_ATTR_* `attributes`.
  func setMountAttributes(_ fd: Int32, recursive attributes: UInt64) -> Int32
  func chroot(_ path: String) -> Int32
  func chdir(_ path: String) -> Int32
  func fchdir(_ fd: Int32) -> Int32
  func getcwd() -> String?

  // MARK: namespaces and their names
  func setns(_ fd: Int32, _ type: Int32) -> Int32
  func unshare(_ flags: Int32) -> Int32
  /// SIOCSIFFLAGS IFF_UP on "lo" of the caller's network namespace.
  func bringLoopbackUp() -> Int32
  func sethostname(_ name: String) -> Int32
  func setdomainname(_ name: String) -> Int32
  /// keyctl(KEYCTL_JOIN_SESSION_KEYRING, name) and user-search on it; its serial or -1.
  func joinSessionKeyring(_ name: String) -> Int32

  // MARK: identity
  func setresuid(_ uid: UInt32) -> Int32
  func setresgid(_ gid: UInt32) -> Int32
  func setgroups(_ gids: [UInt32]) -> Int32
  func prctl(_ option: Int32, _ arg2: UInt, _ arg3: UInt) -> Int32
  /// capset(2), version 3: bit N of each set is capability N.
  func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) -> Int32
  /// seccomp(SECCOMP_SET_MODE_FILTER) with raw BPF (8 bytes per instruction): the listener fd
  /// with SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0 (or a thread id TSYNC could not move).
  func loadSeccompFilter(flags: UInt32, instructions: [UInt8]) -> Int32

  // MARK: files by path
  func open(_ path: String, _ flags: Int32, _ mode: UInt32) -> Int32
  /// openat2(rootFD, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): no way out of `rootFD`.
  func openInRoot(_ rootFD: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) -> Int32
  /// openat2(AT_FDCWD, path, RESOLVE_NO_MAGICLINKS).
  func openNoMagicLinks(_ path: String, _ flags: Int32) -> Int32
  func stat(_ path: String) -> Glibc.stat?
  func statvfs(_ path: String) -> Glibc.statvfs?
  func readlink(_ path: String) -> String?
  /// A whole regular file of at most `limit` bytes, opened O_NONBLOCK and refused unless
  /// regular (an image's FIFO must not block the read); nil + errno when it cannot be read.
  func readFile(_ path: String, limit: Int) -> [UInt8]?
  /// One write of `value` into an existing file (/proc/sys/…, /proc/self/…): 0 or -1.
  func writeFile(_ path: String, _ value: String) -> Int32
  func chmod(_ path: String, _ mode: UInt32) -> Int32
  func mknodat(_ dir: Int32, _ name: String, _ mode: UInt32, _ device: UInt) -> Int32
  func fchownat(_ dir: Int32, _ name: String, _ uid: UInt32, _ gid: UInt32, _ flags: Int32) -> Int32
  func fchown(_ fd: Int32, _ uid: UInt32, _ gid: UInt32) -> Int32
  func umask(_ mask: UInt32) -> UInt32

  // MARK: descriptors
  func closeRange(_ first: UInt32, _ last: UInt32, _ flags: UInt32) -> Int32
  func fcntl(_ fd: Int32, _ command: Int32, _ argument: Int32) -> Int32
  func dup2(_ fd: Int32, _ target: Int32) -> Int32
  func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
  func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int
  /// One message holding `payload` and `fd` as SCM_RIGHTS.
  func sendFD(_ socket: Int32, _ fd: Int32, payload: [UInt8]) -> Int32
  /// A close-on-exec unix SOCK_STREAM socket connected to `path`.
  func connectUnix(_ path: String) -> Int32

  // MARK: terminal and session
  /// The master of a new pty in the devpts of `ptmx`, unlocked.
  func openPtyMaster(_ ptmx: String) -> Int32
  func ptySlaveName(_ master: Int32) -> String?
  func setWindowSize(_ fd: Int32, rows: UInt16, columns: UInt16) -> Int32
  /// setsid (unless already a leader), then TIOCSCTTY.
  func setControllingTerminal(_ fd: Int32) -> Int32
  func setsid() -> Int32

  // MARK: process attributes
  func setrlimit(_ resource: Int32, soft: UInt64, hard: UInt64) -> Int32
  func personality(_ persona: UInt) -> Int32
  func schedSetattr(
    policy: UInt32, nice: Int32, priority: UInt32, flags: UInt64, runtime: UInt64, deadline: UInt64,
    period: UInt64
  ) -> Int32
  func ioprioSet(class ioClass: Int32, level: Int32) -> Int32
  func setAffinity(_ cpus: [Int32]) -> Int32
  func setMempolicy(_ mode: Int32, nodemask: [UInt]) -> Int32
  /// Returns only on failure, with the errno.
  func execve(
    _ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32
}

extension Syscalls {
  /// mount(2), or a SystemError naming the mount and its target (`label` when the target is
  /// a /proc/self/fd/N path).
  @inlinable
  public func mount(
    source: String?, target: String, type: String?, flags: UInt, data: String? = nil,
    label: String? = nil
  ) throws(SystemError) {
    if mount(source, target, type, flags, data) != 0 {
      throw SystemError("mount \(type ?? "bind")\(source.map { " " + $0 } ?? "") on", label ?? target)
    }
  }

  @inlinable
  public func prctl(_ option: Int32, _ arg2: UInt = 0) -> Int32 { prctl(option, arg2, 0) }

  public func exists(_ path: String) -> Bool { stat(path) != nil }

  /// A small text file (/proc/self/mountinfo), nil when it cannot be read.
  public func readText(_ path: String) -> String? {
    readFile(path, limit: 64 << 20).map { String(decoding: $0, as: UTF8.self) }
  }

  public func isDirectory(_ path: String) -> Bool {
    guard let st = stat(path) else { return false }
    return (st.st_mode & S_IFMT) == S_IFDIR
  }
}
