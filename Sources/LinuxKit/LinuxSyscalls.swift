import CLinux
import Glibc

/// The real kernel: each requirement of `Syscalls` is the C call of the same name (Glibc's,
/// or the shim's where Swift cannot call it). Inlinable, so that the init's specialised code
/// calls the kernel directly (no extra pages of LinuxKit touched on the start path).
@frozen
public struct LinuxSyscalls: Syscalls {
  @inlinable public init() {}

  @inlinable public func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?)
    -> Int32
  {
    Glibc.mount(source, target, type, flags, data)
  }
  @inlinable public func umount2(_ target: String, _ flags: Int32) -> Int32 { Glibc.umount2(target, flags) }
  @inlinable public func pivotRoot(_ newRoot: String, _ putOld: String) -> Int32 { hk_pivot_root(newRoot, putOld) }
  @inlinable public func moveMount(_ tree: Int32, onto target: Int32) -> Int32 { hk_move_mount_to(tree, target) }
  @inlinable public func setMountAttributes(_ fd: Int32, recursive attributes: UInt64) -> Int32 {
    hk_mount_setattr_recursive(fd, attributes)
  }
  @inlinable public func chroot(_ path: String) -> Int32 { Glibc.chroot(path) }
  @inlinable public func chdir(_ path: String) -> Int32 { Glibc.chdir(path) }
  @inlinable public func fchdir(_ fd: Int32) -> Int32 { Glibc.fchdir(fd) }
  @inlinable public func getcwd() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard Glibc.getcwd(&buffer, buffer.count) != nil else { return nil }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  @inlinable public func setns(_ fd: Int32, _ type: Int32) -> Int32 { hk_setns(fd, type) }
  @inlinable public func unshare(_ flags: Int32) -> Int32 { hk_unshare(flags) }
  @inlinable public func bringLoopbackUp() -> Int32 { hk_loopback_up() }
  @inlinable public func sethostname(_ name: String) -> Int32 { hk_sethostname(name, name.utf8.count) }
  @inlinable public func setdomainname(_ name: String) -> Int32 { hk_setdomainname(name, name.utf8.count) }
  @inlinable public func joinSessionKeyring(_ name: String) -> Int32 { hk_join_named_session_keyring(name) }

  @inlinable public func setresuid(_ uid: UInt32) -> Int32 { hk_setresuid(uid) }
  @inlinable public func setresgid(_ gid: UInt32) -> Int32 { hk_setresgid(gid) }
  @inlinable public func setgroups(_ gids: [UInt32]) -> Int32 {
    gids.withUnsafeBufferPointer { hk_setgroups($0.count, $0.baseAddress) }
  }
  @inlinable public func prctl(_ option: Int32, _ arg2: UInt, _ arg3: UInt) -> Int32 {
    hk_prctl(option, arg2, arg3, 0, 0)
  }
  @inlinable public func capset(effective: UInt64, permitted: UInt64, inheritable: UInt64) -> Int32 {
    hk_capset(effective, permitted, inheritable)
  }
  @inlinable public func loadSeccompFilter(flags: UInt32, instructions: [UInt8]) -> Int32 {
    instructions.withUnsafeBytes {
      hk_load_seccomp_filter(flags, $0.baseAddress, UInt16(truncatingIfNeeded: $0.count / 8))
    }
  }

  @inlinable public func open(_ path: String, _ flags: Int32, _ mode: UInt32) -> Int32 {
    hk_open_mode(path, flags, mode)
  }
  @inlinable public func openInRoot(_ rootFD: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) -> Int32 {
    hk_openat_in_root(rootFD, path, flags, mode)
  }
  @inlinable public func openNoMagicLinks(_ path: String, _ flags: Int32) -> Int32 {
    hk_open_no_magiclinks(path, flags)
  }
  @inlinable public func stat(_ path: String) -> Glibc.stat? {
    var st = Glibc.stat()
    return statPath(path, &st) == 0 ? st : nil
  }
  @inlinable public func statvfs(_ path: String) -> Glibc.statvfs? {
    var vfs = Glibc.statvfs()
    return statvfsPath(path, &vfs) == 0 ? vfs : nil
  }
  @inlinable public func readlink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = Glibc.readlink(path, &buffer, buffer.count - 1)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  @inlinable public func readFile(_ path: String, limit: Int) -> [UInt8]? {
    do { return try Files.readRegular(path, limit: limit) } catch {
      Glibc.errno = error.errno
      return nil
    }
  }
  @inlinable public func writeFile(_ path: String, _ value: String) -> Int32 {
    do { try Files.writeExisting(path, value) } catch {
      Glibc.errno = error.errno
      return -1
    }
    return 0
  }
  @inlinable public func chmod(_ path: String, _ mode: UInt32) -> Int32 { Glibc.chmod(path, mode) }
  @inlinable public func mknodat(_ dir: Int32, _ name: String, _ mode: UInt32, _ device: UInt) -> Int32 {
    Glibc.mknodat(dir, name, mode, device)
  }
  @inlinable public func fchownat(_ dir: Int32, _ name: String, _ uid: UInt32, _ gid: UInt32, _ flags: Int32) -> Int32 {
    Glibc.fchownat(dir, name, uid, gid, flags)
  }
  @inlinable public func fchown(_ fd: Int32, _ uid: UInt32, _ gid: UInt32) -> Int32 { Glibc.fchown(fd, uid, gid) }
  @inlinable public func umask(_ mask: UInt32) -> UInt32 { Glibc.umask(mask) }

  @inlinable public func closeRange(_ first: UInt32, _ last: UInt32, _ flags: UInt32) -> Int32 {
    hk_close_range(first, last, flags)
  }
  @inlinable public func fcntl(_ fd: Int32, _ command: Int32, _ argument: Int32) -> Int32 {
    hk_fcntl_int(fd, command, argument)
  }
  @inlinable public func dup2(_ fd: Int32, _ target: Int32) -> Int32 { Glibc.dup2(fd, target) }
  @inlinable public func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    Glibc.write(fd, bytes.baseAddress, bytes.count)
  }
  @inlinable public func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    Glibc.read(fd, buffer.baseAddress, buffer.count)
  }
  @inlinable public func sendFD(_ socket: Int32, _ fd: Int32, payload: [UInt8]) -> Int32 {
    UnixSocket.sendFD(socket, fd, payload: payload)
  }
  @inlinable public func connectUnix(_ path: String) -> Int32 { UnixSocket.connect(path) }

  @inlinable public func openPtyMaster(_ ptmx: String) -> Int32 { hk_open_pty_master(ptmx) }
  @inlinable public func ptySlaveName(_ master: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 64)
    guard hk_pty_slave_name(master, &buffer, buffer.count) == 0 else { return nil }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }
  @inlinable public func setWindowSize(_ fd: Int32, rows: UInt16, columns: UInt16) -> Int32 {
    var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
    return hk_ioctl_ptr(fd, UInt(TIOCSWINSZ), &size)
  }
  @inlinable public func setControllingTerminal(_ fd: Int32) -> Int32 { hk_set_controlling_tty(fd) }
  @inlinable public func setsid() -> Int32 { Glibc.setsid() }

  @inlinable public func setrlimit(_ resource: Int32, soft: UInt64, hard: UInt64) -> Int32 {
    var value = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
    return Glibc.setrlimit(__rlimit_resource_t(UInt32(bitPattern: resource)), &value)
  }
  @inlinable public func personality(_ persona: UInt) -> Int32 { hk_personality(persona) }
  @inlinable public func schedSetattr(
    policy: UInt32, nice: Int32, priority: UInt32, flags: UInt64, runtime: UInt64, deadline: UInt64,
    period: UInt64
  ) -> Int32 {
    hk_sched_setattr(policy, nice, priority, flags, runtime, deadline, period)
  }
  @inlinable public func ioprioSet(class ioClass: Int32, level: Int32) -> Int32 { hk_ioprio_set_self(ioClass, level) }
  @inlinable public func setAffinity(_ cpus: [Int32]) -> Int32 {
    cpus.withUnsafeBufferPointer { hk_set_affinity($0.baseAddress, Int32($0.count)) }
  }
  @inlinable public func setMempolicy(_ mode: Int32, nodemask: [UInt]) -> Int32 {
    // maxnode counts one more than the bits the kernel reads (its historical off-by-one).
    nodemask.withUnsafeBufferPointer {
      hk_set_mempolicy(mode, $0.isEmpty ? nil : $0.baseAddress, UInt($0.count * UInt.bitWidth + 1))
    }
  }
  @inlinable public func execve(
    _ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
    _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32 {
    Glibc.execve(path, argv, envp)
    return Glibc.errno
  }
}

// stat(2) and statvfs(2) by name: inside LinuxSyscalls the names are its own methods.
@usableFromInline func statPath(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }
@usableFromInline func statvfsPath(_ path: String, _ vfs: inout statvfs) -> Int32 { statvfs(path, &vfs) }
