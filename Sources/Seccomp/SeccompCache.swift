import Glibc
import OCISpec

// libseccomp takes ~8.5 ms (C, -O2) to build docker's default profile for x86_64+x86+x32,
// more than half of crun's whole start CPU. crun keeps the generated BPF in
// <state root>/.cache/seccomp, keyed by a checksum of the profile, the library and the
// kernel; hull does the same. The entry stores its full key and is used only when the
// key matches byte for byte, so a hash collision is a miss, never another profile's filter.

extension SeccompProgram {
  /// `compile(_:)` through a cache directory (e.g. "<root>/.cache/seccomp"; created 0700
  /// if missing). A hit costs one open, fstat and read instead of libseccomp; a cache that
  /// cannot be read or written is bypassed, never an error.
  /// Since the compile is paid once, entries use libseccomp's binary-tree layout: ~40%
  /// slower to build but ~3x faster for the kernel to load (0.27 vs 0.78 ms for docker's
  /// profile), and each filtered syscall walks ~log n instead of n instructions.
  public static func compile(_ seccomp: OCISpec.Seccomp, cacheDirectory: String) throws(SeccompError) -> SeccompProgram
  {
    let key = CacheKey.make(seccomp)
    let path = "\(cacheDirectory)/\(CacheKey.fileName(key))"
    if let cached = CacheFile.read(path: path, key: key) { return cached }
    let program = try compile(seccomp, optimize: Compiler.binaryTreeLevel)
    CacheFile.write(program, key: key, path: path, directory: cacheDirectory)
    return program
  }
}

enum CacheKey {
  /// Bump when the compiler's output for the same profile changes.
  static let revision = 2  // 2: the ENOSYS stub (EnosysStub)

  /// Everything the BPF depends on: this compiler, libseccomp, the kernel (flag probes,
  /// API level), and the profile. Strings are length-prefixed, so no two profiles give
  /// the same key; built as bytes because it runs on every start.
  static func make(_ s: OCISpec.Seccomp) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(12 * 1024)
    func add(_ text: String) {
      out += String(text.utf8.count).utf8
      out.append(0x3a)  // ":"
      out += text.utf8
    }
    func add(_ number: UInt64?) {
      if let number { out += String(number).utf8 } else { out.append(0x2d) }  // "-"
      out.append(0x20)
    }
    add("hull-seccomp \(revision) libseccomp \(Compiler.version) tree \(Compiler.binaryTreeLevel)")
    add(kernel())
    add(s.defaultAction)
    add(s.defaultErrnoRet.map(UInt64.init))
    add(UInt64(s.architectures.count))
    for a in s.architectures { add(a) }
    add(UInt64(s.flags.count))
    for f in s.flags { add(f) }
    add(UInt64(s.syscalls.count))
    for sc in s.syscalls {
      add(sc.action)
      add(sc.errnoRet.map(UInt64.init))
      add(UInt64(sc.names.count))
      for n in sc.names { add(n) }
      add(UInt64(sc.args.count))
      for a in sc.args {
        add(UInt64(a.index))
        add(a.value)
        add(a.valueTwo)
        add(a.op)
      }
    }
    return out
  }

  /// FNV-1a, 64 bits, as 16 hex digits: only spreads keys over file names.
  static func fileName(_ key: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in key {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex + ".bpf"
  }

  /// uname's release, version and machine: a kernel update may change what probes find.
  static func kernel() -> String {
    var u = utsname()
    guard uname(&u) == 0 else { return "?" }
    func field<T>(_ value: inout T) -> String {
      withUnsafeBytes(of: &value) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
    return "\(field(&u.release)) \(field(&u.version)) \(field(&u.machine))"
  }
}

/// Entry layout (host byte order, written and read by the same machine):
/// "HULLSCMP", key length u32, key, flags u32, usesNotify u8, warnings length u32,
/// warnings joined by "\n", bpf length u32, bpf.
enum CacheFile {
  static let magic = Array("HULLSCMP".utf8)
  /// Past this many entries, the oldest are removed when a new one is written.
  static let maxEntries = 64

  static func read(path: String, key: [UInt8]) -> SeccompProgram? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    // Only our own regular files: anyone else's could carry a weaker filter.
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid(),
      st.st_size > 0, st.st_size < 1 << 20
    else { return nil }
    let size = Int(st.st_size)
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      count = 0
      while count < size {
        let n = Glibc.read(fd, buffer.baseAddress! + count, size - count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        count += n
      }
    }
    var reader = Reader(bytes: bytes)
    guard reader.take(magic.count) == magic[...],
      let keyLength = reader.u32(), reader.take(Int(keyLength)) == key[...],
      let flags = reader.u32(), let notify = reader.take(1),
      let warningsLength = reader.u32(), let warnings = reader.take(Int(warningsLength)),
      let bpfLength = reader.u32(), bpfLength % 8 == 0, let bpf = reader.take(Int(bpfLength)),
      reader.atEnd
    else { return nil }
    let warningList =
      warnings.isEmpty
      ? []
      : warnings.split(separator: 0x0a, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    return SeccompProgram(bpf: Array(bpf), flags: flags, usesNotify: notify.first == 1, warnings: warningList)
  }

  /// Writes to a temporary name and renames, so a reader never sees half an entry.
  static func write(_ program: SeccompProgram, key: [UInt8], path: String, directory: String) {
    var out = magic
    func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v)) { out += $0 } }
    let warnings = Array(program.warnings.joined(separator: "\n").utf8)
    out.reserveCapacity(64 + key.count + warnings.count + program.bpf.count)
    u32(key.count)
    out += key
    u32(Int(program.flags))
    out.append(program.usesNotify ? 1 : 0)
    u32(warnings.count)
    out += warnings
    u32(program.bpf.count)
    out += program.bpf

    if mkdir(directory, 0o700) != 0 && errno == ENOENT { makeDirectories(directory) }
    evictIfFull(directory)
    let temporary = "\(path).\(getpid()).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { return }
    var written = 0
    let complete = out.withUnsafeBytes { raw -> Bool in
      while written < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        written += n
      }
      return true
    }
    close(fd)
    if !complete || rename(temporary, path) != 0 { unlink(temporary) }
  }

  /// mkdir -p with 0700 for the parts that are missing.
  private static func makeDirectories(_ path: String) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      prefix += "/\(part)"
      _ = mkdir(prefix, 0o700)  // EEXIST for parts already there; a cache that cannot be written only costs a compile
    }
  }

  /// Keeps the directory bounded: past `maxEntries`, removes the oldest entries (mtime).
  /// Runs only on a miss, which is rare once a host has seen its few profiles.
  private static func evictIfFull(_ directory: String) {
    guard let dir = opendir(directory) else { return }
    var entries: [(name: String, mtime: Int)] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name.hasSuffix(".bpf") else { continue }
      var st = stat()
      if stat("\(directory)/\(name)", &st) == 0 { entries.append((name, Int(st.st_mtim.tv_sec))) }
    }
    closedir(dir)
    guard entries.count >= maxEntries else { return }
    entries.sort { $0.mtime < $1.mtime }
    for entry in entries.prefix(entries.count - maxEntries + 1) { unlink("\(directory)/\(entry.name)") }
  }
}

private struct Reader {
  let bytes: [UInt8]
  var offset = 0
  var atEnd: Bool { offset == bytes.count }

  mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
    guard n >= 0, n <= bytes.count - offset else { return nil }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func u32() -> UInt32? {
    guard let raw = take(4) else { return nil }
    return raw.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
  }
}
