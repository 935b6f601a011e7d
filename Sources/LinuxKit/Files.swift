import CLinux
import Glibc

/// Small file helpers over raw file descriptors (no Foundation on the start path).
public enum Files {
  /// Reads a whole file; refuses files larger than `limit` bytes.
  public static func read(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
    let file = try FileDescriptor.open(path, O_RDONLY)
    return try readAll(file.rawValue, path: path, limit: limit)
  }

  public static func readAll(_ fd: Int32, path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
      let n = try check("read", path) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
      if n == 0 { return out }
      out.append(contentsOf: chunk[0..<n])
      if out.count > limit { throw SystemError("read", path, errno: EFBIG) }
    }
  }

  /// Reads a regular file without ever blocking on what the path turns out to be: opened
  /// O_NONBLOCK (a FIFO or a device opens at once) and refused unless fstat says regular
  /// (EINVAL). For files a container controls, e.g. its /etc/passwd.
  public static func readRegular(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
    let file = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY)
    var st = stat()
    _ = try check("stat", path) { fstat(file.rawValue, &st) }
    if (st.st_mode & S_IFMT) != S_IFREG { throw SystemError("read (not a regular file)", path, errno: EINVAL) }
    return try readAll(file.rawValue, path: path, limit: limit)
  }

  public static func readString(_ path: String) throws(SystemError) -> String {
    String(decoding: try read(path), as: UTF8.self)
  }

  /// Reads a file if it exists; nil when it does not.
  public static func readIfPresent(_ path: String) -> String? {
    try? readString(path)
  }

  public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
    var offset = 0
    while offset < bytes.count {
      let n = try check("write", path) {
        bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
      }
      offset += n
    }
  }

  /// Writes a value into an existing file (cgroup, /proc and /sys files): one write call.
  public static func writeExisting(_ path: String, _ value: String) throws(SystemError) {
    let file = try FileDescriptor.open(path, O_WRONLY)
    try writeAll(file.rawValue, Array(value.utf8), path: path)
  }

  /// Creates or truncates a file and writes `bytes`.
  public static func write(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws(SystemError) {
    let file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
    try writeAll(file.rawValue, bytes, path: path)
  }

  /// Appends to a file, creating it (log files: never truncated).
  public static func append(_ path: String, _ text: String) throws(SystemError) {
    let file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644)
    try writeAll(file.rawValue, Array(text.utf8), path: path)
  }

  /// One random draw per process (`getrandom`), then a counter added to it (atomic: the test
  /// suites call this from many threads): names that never repeat within a process and cannot
  /// be guessed before one is seen, for one getrandom per process instead of one per name (a
  /// guessed name only makes O_EXCL fail: see below).
  private static let suffixBase = UInt64.random(in: 0...UInt64.max)

  /// A fresh unpredictable suffix for a temporary name (base 36).
  public static func uniqueSuffix() -> String {
    String(suffixBase &+ UInt64(hk_next_sequence()), radix: 36)
  }

  /// Write to a temp file, then rename: readers see the old or the new file, never half of one.
  /// No fsync: what hull writes (state, pid files) describes processes that cannot outlive a
  /// reboot, and a crash of hull itself loses nothing the page cache holds. (It cost ~0.2 ms
  /// of CPU per create on ext4; /run is a tmpfs anyway.)
  /// The temp file has an unpredictable name and is created new (O_EXCL, O_NOFOLLOW): in a
  /// directory others can write (a --pid-file in /tmp), a symlink planted at a predictable
  /// name would make hull truncate and write the file it points at.
  public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o600) throws(SystemError) {
    let temp = path + ".tmp-" + uniqueSuffix()
    let fd = try check("open", temp) { hk_open_mode(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
    do {
      try writeAll(fd, bytes, path: temp)
    } catch {
      close(fd)
      unlink(temp)  // best effort: the write's error is the one to report
      throw error
    }
    close(fd)
    if rename(temp, path) != 0 {
      let e = errno
      unlink(temp)
      throw SystemError("rename", path, errno: e)
    }
  }

  /// rename that fails with EEXIST rather than replace what is at `to` (an empty directory
  /// would be replaced by a plain rename).
  public static func renameNoReplace(_ from: String, _ to: String) throws(SystemError) {
    if hk_rename_noreplace(from, to) != 0 { throw SystemError("rename", to) }
  }

  public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  public static func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }

  /// mkdir -p; existing directories are fine.
  public static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws(SystemError) {
    if path.isEmpty || isDirectory(path) { return }
    let parent = Paths.dirname(path)
    if parent != path { try makeDirectories(parent, mode: mode) }
    if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", path) }
  }

  /// Removes a directory tree without following symlinks (state directories only).
  public static func removeTree(_ path: String) {
    if unlink(path) == 0 || errno == ENOENT { return }
    for name in list(path) { removeTree(path + "/" + name) }
    rmdir(path)  // what cannot be removed stays; callers check for leftovers where it matters
  }

  /// Names in a directory, without "." and "..".
  public static func list(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}
