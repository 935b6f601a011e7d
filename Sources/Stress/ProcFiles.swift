// ProcFiles: small reads of /proc with plain syscalls. The RSS sampler reads every process's cmdline twenty
// times a second; through Foundation (FileManager.contents, String(contentsOfFile:)) that grew the test-bed's own
// RSS by hundreds of megabytes over a 1000-container churn, which would drown the numbers it is there to report.
#if canImport(Glibc)
import Glibc
#endif

enum ProcFiles {
  /// nil when it cannot be opened.
  static func read(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        bytes.append(contentsOf: chunk[0..<n])
        continue
      }
      if n < 0 && errno == EINTR { continue }
      break
    }
    return bytes
  }

  /// read, decoded as UTF-8.
  static func text(_ path: String) -> String? {
    read(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The numeric entries of /proc.
  static func pids() -> [Int32] {
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    var result: [Int32] = []
    while let entry = readdir(directory) {
      let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int32? in
        var value: Int32 = 0
        for byte in raw.prefix(while: { $0 != 0 }) {
          guard byte >= 48 && byte <= 57, value < 100_000_000 else { return nil }
          value = value * 10 + Int32(byte - 48)
        }
        return value > 0 ? value : nil
      }
      if let pid { result.append(pid) }
    }
    return result
  }
}
