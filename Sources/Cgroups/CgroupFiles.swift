import Glibc
import LinuxKit

/// Reading and writing cgroup control files. Every write names the linux.resources field
/// it serves, so a failure says which setting the host could not honour and why.
enum CgroupFiles {
  /// One write(2) of `value` into `dir/name`. O_TRUNC is what a shell's `>` does on
  /// cgroupfs (harmless there) and makes a fake cgroupfs on a temp dir hold the last
  /// value. `append` is for files that take one entry per write (devices.allow, io.max,
  /// blkio.throttle.*, rdma.max):
  /// a fake file then keeps every line in order.
  static func write(_ dir: String, _ name: String, _ value: String, field: String?, append: Bool = false)
    throws(CgroupError)
  {
    let fd = try open(dir, name, value: value, field: field, append: append)
    defer { close(fd) }
    try write(fd, dir + "/" + name, value, field: field)
  }

  /// Appends each entry with a write(2) of its own, in order, keeping one fd per file open
  /// across the entries (devices.allow/deny take one rule per write: two opens, not one
  /// open and close per rule).
  static func appendEach(_ dir: String, _ entries: [(name: String, value: String, field: String)]) throws(CgroupError) {
    var open: [(name: String, fd: Int32)] = []
    defer { for file in open { close(file.fd) } }
    for entry in entries {
      let fd: Int32
      if let known = open.first(where: { $0.name == entry.name }) {
        fd = known.fd
      } else {
        fd = try Self.open(dir, entry.name, value: entry.value, field: entry.field, append: true)
        open.append((entry.name, fd))
      }
      try write(fd, dir + "/" + entry.name, entry.value, field: entry.field)
    }
  }

  private static func open(_ dir: String, _ name: String, value: String, field: String?, append: Bool)
    throws(CgroupError) -> Int32
  {
    let file = dir + "/" + name
    let flags = O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC)
    let fd = Files.open(file, flags)
    if fd < 0 {
      let e = errno
      let what = field.map { "set \($0) = \(value):" } ?? "write \(value) to"
      if e == ENOENT {
        let detail =
          Files.isDirectory(dir)
          ? "this host has no \(name) (the kernel lacks the feature or the controller is not enabled)"
          : "no such cgroup directory"
        throw CgroupError(what, file, errno: e, detail: detail)
      }
      throw CgroupError(what, file, errno: e)
    }
    return fd
  }

  private static func write(_ fd: Int32, _ file: String, _ value: String, field: String?) throws(CgroupError) {
    let bytes = Array(value.utf8)
    var n: Int
    repeat { n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } } while n < 0 && errno == EINTR
    if n < 0 {
      let e = errno
      throw CgroupError(field.map { "set \($0) = \(value):" } ?? "write \(value) to", file, errno: e)
    }
  }

  static func list(_ dir: String) -> [String] { Files.list(dir) }

  static func exists(_ dir: String, _ name: String) -> Bool { Files.exists(dir + "/" + name) }

  /// The file's text, nil when it cannot be read.
  static func read(_ dir: String, _ name: String) -> String? { Files.readIfPresent(dir + "/" + name) }

  /// The first line, trimmed: the value of a single-value file.
  static func value(_ dir: String, _ name: String) -> String? {
    guard let text = read(dir, name) else { return nil }
    return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
  }

  /// A single-number file; "max" reads as nil like a missing file.
  static func number(_ dir: String, _ name: String) -> UInt64? {
    value(dir, name).flatMap { UInt64($0) }
  }

  /// Lines of "key value" (memory.stat, cpu.stat, memory.events).
  static func keyValues(_ dir: String, _ name: String) -> [(key: String, value: UInt64)] {
    guard let text = read(dir, name) else { return [] }
    var out: [(key: String, value: UInt64)] = []
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ")
      if parts.count == 2, let v = UInt64(parts[1]) { out.append((String(parts[0]), v)) }
    }
    return out
  }

  static func lookup(_ pairs: [(key: String, value: UInt64)], _ key: String) -> UInt64? {
    pairs.first { $0.key == key }?.value
  }
}
