import CLinux
import Glibc

/// Resolves paths inside a container's root file system so that no symlink,
/// "..", or magic link can lead out of it (openat2 with RESOLVE_IN_ROOT), and
/// creates missing components one at a time relative to their parent's fd.
/// Mount targets are then reached as /proc/self/fd/N (CVE-2021-30465 class).
/// The openat2 lookups go through `kernel` (see Syscalls); creating a missing component
/// relative to its parent's fd, already inside the root, is done directly.
public struct RootfsPath<S: Syscalls> {
  public let rootFD: Int32
  public let root: String
  public let kernel: S

  public init(root: String, kernel: S) throws(SystemError) {
    self.root = root
    self.kernel = kernel
    rootFD = try check("open", root) { kernel.open(root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) }
  }

  public func close() { Glibc.close(rootFD) }

  public enum Kind: Sendable { case directory, file }

  /// Opens `path` (absolute inside the rootfs) as O_PATH, creating it as `kind` if missing.
  /// `noFollow`: a symlink at the last component is opened itself, not followed (the caller
  /// refuses it by its fstat).
  public func open(_ path: String, creating kind: Kind?, noFollow: Bool = false) throws(SystemError) -> Int32 {
    let clean = Paths.clean(path.hasPrefix("/") ? path : "/" + path)
    let fd = kernel.openInRoot(rootFD, clean, O_PATH | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0), 0)
    if fd >= 0 { return fd }
    let firstErrno = errno
    guard firstErrno == ENOENT, let kind else { throw SystemError("open", root + clean, errno: firstErrno) }
    return try create(clean, kind)
  }

  /// Opens directory `name` right under `parent` (an O_PATH fd inside the root); a symlink there
  /// is refused, never followed (O_NOFOLLOW | O_DIRECTORY). `label` names the path in errors.
  public func openDirectory(_ name: String, in parent: Int32, label: String) throws(SystemError) -> Int32 {
    try check("open", root + label) {
      kernel.openInRoot(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
    }
  }

  /// Makes directory `name` right under `parent` (an fd inside the root): true when this call
  /// made it, false when something was already there (which it leaves alone). One syscall: for
  /// a tmpfs this init has just mounted, where a directory it made is its own (see CgroupMount).
  public func makeDirectory(_ name: String, in parent: Int32, label: String) throws(SystemError) -> Bool {
    if mkdirat(parent, name, 0o755) == 0 { return true }
    if errno == EEXIST { return false }
    throw SystemError("mkdir", root + label)
  }

  /// Makes `clean`, which openat2 did not find: its parent is opened inside the root (made
  /// first when missing, level by level), then the last component is made relative to the
  /// parent's fd. Only the last component can be a dangling symlink here (openat2 followed
  /// every other one inside the root); that rare case takes the whole walk of `resolve`.
  /// Five syscalls per missing level where the walk from "/" cost four per component.
  private func create(_ clean: String, _ kind: Kind) throws(SystemError) -> Int32 {
    let parentPath = Paths.dirname(clean)
    let name = Paths.basename(clean)
    var parent = kernel.openInRoot(rootFD, parentPath, O_PATH | O_CLOEXEC, 0)
    if parent < 0 {
      guard errno == ENOENT, parentPath != "/" else { throw SystemError("open", root + parentPath) }
      parent = try create(parentPath, .directory)
    }
    defer { Glibc.close(parent) }
    // Made first: only when something is in the way (EEXIST; ELOOP for a file's O_NOFOLLOW) is
    // it asked whether that is a dangling symlink, whose target is then made inside the root
    // (as runc). procfs links (self, fd/N, exe, …) are magic: their text names host paths,
    // never followed.
    var blocked = false
    switch kind {
    case .directory:
      if mkdirat(parent, name, 0o755) != 0 {
        guard errno == EEXIST else { throw SystemError("mkdir", root + clean) }
        blocked = true
      }
    case .file:
      let f = hk_openat_mode(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
      if f >= 0 {
        Glibc.close(f)
      } else {
        guard errno == EEXIST || errno == ELOOP else { throw SystemError("create", root + clean) }
        blocked = true
      }
    }
    var buffer = [CChar](repeating: 0, count: 2)
    if blocked && readlinkat(parent, name, &buffer, 1) >= 0 && hk_is_procfs(parent) == 0 {
      let resolved = try resolve(clean)
      if resolved != clean { return try open(resolved, creating: kind) }
    }
    return try check("open", root + clean) { kernel.openInRoot(rootFD, clean, O_PATH | O_CLOEXEC, 0) }
  }

  /// `path` with every symlink that exists on the way followed inside the root ("/" and
  /// ".." stop at the root) and the missing rest appended: where a dangling link points.
  func resolve(_ path: String) throws(SystemError) -> String {
    var remaining = path.split(separator: "/").map(String.init)[...]
    var resolved: [String] = []
    var links = 0
    while let component = remaining.popFirst() {
      if component == "." { continue }
      if component == ".." {
        _ = resolved.popLast()
        continue
      }
      let parentPath = "/" + resolved.joined(separator: "/")
      let parent = kernel.openInRoot(rootFD, parentPath, O_PATH | O_CLOEXEC, 0)
      if parent < 0 {
        guard errno == ENOENT || errno == ENOTDIR else { throw SystemError("open", root + parentPath) }
        resolved.append(component)
        continue
      }
      // procfs links (self, fd/N, exe, …) are magic: their text names host paths. Never followed.
      let onProc = hk_is_procfs(parent) != 0
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = onProc ? -1 : readlinkat(parent, component, &buffer, buffer.count - 1)
      Glibc.close(parent)
      if n < 0 {
        resolved.append(component)
        continue
      }  // not a link, or missing
      links += 1
      if links > 40 { throw SystemError("resolve", root + path, errno: ELOOP) }
      let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if target.hasPrefix("/") { resolved = [] }
      remaining = (target.split(separator: "/").map(String.init) + remaining)[...]
    }
    return "/" + resolved.joined(separator: "/")
  }

}

extension Paths {
  /// The path that reaches what `fd` is open on (a mount target inside the rootfs).
  public static func procSelfFD(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
}
