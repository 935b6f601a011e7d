import CLinux
import Glibc

/// What /proc says about a process.
public enum ProcFS {
  /// Start time (clock ticks since boot, field 22 of /proc/PID/stat) and state letter.
  /// The start time tells a live process from a new one that reuses its pid.
  public static func stat(pid: Int32) -> (startTime: UInt64, state: Character)? {
    guard let text = Files.readIfPresent("/proc/\(pid)/stat") else { return nil }
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    guard let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // fields[0] is the state (field 3); start time is field 22 → index 19.
    guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
    return (start, state)
  }

  /// The parent pid (field 4 of /proc/PID/stat).
  public static func parentPid(of pid: Int32) -> Int32? {
    guard let text = Files.readIfPresent("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
  }

  /// True when `pid` is the init (pid 1) of a pid namespace other than the host's: the
  /// last NSpid entry of /proc/PID/status is its pid in its own namespace.
  public static func isPidNamespaceInit(_ pid: Int32) -> Bool {
    guard let text = Files.readIfPresent("/proc/\(pid)/status"),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") })
    else { return false }
    let ids = line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" })
    return ids.count > 1 && ids.last == "1"
  }

  /// Is `pid` the process that started at `startTime`, and not a zombie?
  public static func isAlive(pid: Int32, startTime: UInt64) -> Bool {
    guard pid > 0, let info = stat(pid: pid) else { return false }
    return info.startTime == startTime && info.state != "Z" && info.state != "X"
  }

  /// The namespace inode link of a process, e.g. "pid:[4026531836]".
  public static func namespaceLink(pid: Int32, kind: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 128)
    let n = readlink("/proc/\(pid)/ns/\(kind)", &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// Wall clock formatting without Foundation.
public enum Clock {
  /// RFC 3339 UTC time with nanoseconds, as runc writes `created`.
  public static func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let parts = utc(ts.tv_sec)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    let nanos = String(ts.tv_nsec)
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
      + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
      + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
  }

  /// Seconds since the epoch as a UTC calendar time, by arithmetic: glibc's gmtime_r loads
  /// the time zone (/etc/localtime: 7 syscalls) on its first call, for nothing in UTC.
  /// Days to civil date as in Howard Hinnant's `civil_from_days`.
  public static func utc(_ seconds: Int) -> tm {
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    var parts = tm()
    parts.tm_year = Int32(year - 1900)
    parts.tm_mon = Int32(month - 1)
    parts.tm_mday = Int32(day)
    parts.tm_hour = Int32(secondOfDay / 3600)
    parts.tm_min = Int32(secondOfDay % 3600 / 60)
    parts.tm_sec = Int32(secondOfDay % 60)
    return parts
  }

  public static func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
  }
}
