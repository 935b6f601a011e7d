import CLinux
import Glibc

/// Resolves paths inside a container's root file system so that no symlink,
/// "..", or magic link can lead out of it (openat2 with RESOLVE_IN_ROOT), and
/// creates missing components one at a time relative to their parent's fd.
/// Mount targets are then reached as /proc/self/fd/N (CVE-2021-30465 class).
public struct RootfsPath {
  public let rootFD: Int32
  public let root: String

  public init(root: String) throws(SystemError) {
    self.root = root
    rootFD = try check("open", root) { hk_open_mode(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) }
  }

  public func close() { Glibc.close(rootFD) }

  public enum Kind: Sendable { case directory, file }

  /// Opens `path` (absolute inside the rootfs) as O_PATH, creating it as `kind` if missing.
  public func open(_ path: String, creating kind: Kind?) throws(SystemError) -> Int32 {
    let clean = Paths.clean(path.hasPrefix("/") ? path : "/" + path)
    let fd = hk_openat_in_root(rootFD, clean, O_PATH | O_CLOEXEC, 0)
    if fd >= 0 { return fd }
    let firstErrno = errno
    guard firstErrno == ENOENT, let kind else { throw SystemError("open", root + clean, errno: firstErrno) }
    let parentPath = Paths.dirname(clean)
    let name = Paths.basename(clean)
    let parent = try open(parentPath, creating: .directory)
    defer { Glibc.close(parent) }
    // The parent is a real directory inside the root: create the last component relative to it.
    let parentDir = try check("open", root + parentPath) {
      hk_openat_mode(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
    }
    defer { Glibc.close(parentDir) }
    switch kind {
    case .directory:
      if mkdirat(parentDir, name, 0o755) != 0 && errno != EEXIST { throw SystemError("mkdir", root + clean) }
    case .file:
      let f = hk_openat_mode(parentDir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
      if f < 0 && errno != EEXIST { throw SystemError("create", root + clean) }
      if f >= 0 { Glibc.close(f) }
    }
    return try check("open", root + clean) { hk_openat_in_root(rootFD, clean, O_PATH | O_CLOEXEC, 0) }
  }

  public static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
}
