import Glibc
import LinuxKit
import OCISpec

/// Errors and warnings: text on stderr, and with --log, lines appended to the log file
/// (JSON `{"level","msg","time"}` with --log-format json, which containerd and podman parse).
struct Log {
  var file: String?
  var json = false
  var debugEnabled = false

  func error(_ message: String) { emit("error", message) }
  func warning(_ message: String) { emit("warning", message) }
  func debug(_ message: String) { if debugEnabled { emit("debug", message) } }

  private func emit(_ level: String, _ message: String) {
    let line = level == "error" ? "hull: \(message)\n" : "hull: \(level): \(message)\n"
    _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    guard let file else { return }
    let time = Clock.rfc3339Now()
    let entry =
      json
      ? "{\"level\":\(JSON.quote(level)),\"msg\":\(JSON.quote(message)),\"time\":\(JSON.quote(time))}\n"
      : "time=\"\(time)\" level=\(level) msg=\(JSON.quote(message))\n"
    try? Files.append(file, entry)
  }
}

/// Writes to stdout in one call.
func printOut(_ text: String) {
  let bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + offset, bytes.count - offset) }
    if n <= 0 {
      if errno == EINTR { continue }
      return
    }
    offset += n
  }
}
