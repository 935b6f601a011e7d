// HostFeatures: what this machine offers, probed once per run, to decide skips from a case's `needs`.
// Skips are decided by the host only, never by the runtime's name.
//
// Needs vocabulary (a case lists any of these):
//   cgroup-v1:CTRL          a v1 hierarchy for CTRL is mounted at /sys/fs/cgroup/CTRL
//   cgroup-v1-file:CTRL/F   that hierarchy's root has file F (e.g. memory/memory.memsw.limit_in_bytes)
//   cgroup-v2:CTRL          cgroup2 (at /sys/fs/cgroup or /sys/fs/cgroup/unified) offers CTRL
//   cgroup-v2-unified       cgroup2 is the only hierarchy (no v1 controllers mounted)
//   cap:CAP_NAME            the capability is in the test-bed's bounding set
//   apparmor | selinux | seccomp | userns | timens
//   criu                    criu is installed and `criu check` passes on this kernel (checked once, when a case asks)
//   nofile-hard:N           the hard RLIMIT_NOFILE is at least N
//   kernel:X.Y              the kernel is at least X.Y
//   executable:NAME         NAME is found in PATH
//   file:PATH               PATH exists on the host (e.g. /sys/fs/resctrl for intelRdt)
//   absent:PATH             PATH does not exist on the host (cases about the behaviour when a feature is missing)
//   shared-root             the host's / mount is shared (rootfs propagation slave needs a master)
//   systemd                 the host runs systemd as its init (/run/systemd/system, sd_booted's test): a runtime's
//                           systemd cgroup driver has a manager to talk to
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct HostFeatures: Sendable {
  public var v1Controllers: Set<String> = []
  public var v2Controllers: Set<String> = []
  public var v2Mount: String?
  public var boundingCaps: UInt64 = 0
  public var lsms: Set<String> = []
  public var seccomp = false
  public var userNamespaces = false
  public var timeNamespace = false
  public var nofileHard: UInt64 = 0
  public var kernel: (Int, Int) = (0, 0)
  public var executables: [String: String] = [:]
  public var rootMountShared = false
  public var systemdBooted = false

  public init() {}

  public static let capabilityNames = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
    "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
  ]

  static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// Look at /proc, /sys and PATH of this machine.
  public static func probe(cgroupRoot: String = "/sys/fs/cgroup") -> HostFeatures {
    var h = HostFeatures()
    if let mounts = read("/proc/self/mountinfo") {
      for line in mounts.split(separator: "\n") {
        let parts = line.split(separator: " ")
        guard let dash = parts.firstIndex(of: "-"), dash + 3 < parts.count else { continue }
        let fstype = parts[dash + 1]
        let target = String(parts[4])
        if target == "/" { h.rootMountShared = parts[6..<dash].contains { $0.hasPrefix("shared:") } }
        if fstype == "cgroup" {
          for opt in parts[dash + 3].split(separator: ",")
          where !["rw", "ro", "nosuid", "nodev", "noexec", "relatime"].contains(opt) {
            h.v1Controllers.insert(opt.hasPrefix("name=") ? String(opt) : String(opt))
          }
        } else if fstype == "cgroup2" && target.hasPrefix(cgroupRoot) {
          h.v2Mount = target
          let list = read(target + "/cgroup.controllers") ?? ""
          h.v2Controllers = Set(list.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
      }
    }
    if let status = read("/proc/self/status") {
      for line in status.split(separator: "\n") {
        if line.hasPrefix("CapBnd:") {
          h.boundingCaps = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
        }
        if line.hasPrefix("Seccomp:") { h.seccomp = true }
      }
    }
    h.lsms = Set(
      (read("/sys/kernel/security/lsm") ?? "").split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      })
    if exists("/sys/kernel/security/apparmor") { h.lsms.insert("apparmor") }
    if exists("/sys/fs/selinux/enforce") { h.lsms.insert("selinux") }
    h.userNamespaces =
      exists("/proc/self/ns/user")
      && (Int(
        read("/proc/sys/user/max_user_namespaces")?
          .trimmingCharacters(in: .whitespacesAndNewlines) ?? "0") ?? 0) > 0
    h.timeNamespace = exists("/proc/self/ns/time")
    var limit = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 { h.nofileHard = UInt64(limit.rlim_max) }
    var u = utsname()
    uname(&u)
    let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    let numbers = release.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    h.kernel = (numbers.first ?? 0, numbers.dropFirst().first ?? 0)
    h.systemdBooted = exists("/run/systemd/system")
    for name in ["criu", "unshare", "cc"] { if let p = which(name) { h.executables[name] = p } }
    return h
  }

  public static func which(_ name: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] where access("\(dir)/\(name)", X_OK) == 0 {
      return "\(dir)/\(name)"
    }
    return nil
  }

  /// nil when the host offers `need`, else the reason to skip. An unknown need is a reason too (never a pass).
  public func unmet(_ need: String, cgroupRoot: String = "/sys/fs/cgroup") -> String? {
    let parts = need.split(separator: ":", maxSplits: 1).map(String.init)
    let kind = parts[0]
    let arg = parts.count > 1 ? parts[1] : ""
    switch kind {
    case "cgroup-v1":
      return v1Controllers.contains(arg) ? nil : "host has no cgroup v1 hierarchy for \(arg)"
    case "cgroup-v1-file":
      let ctrl = arg.split(separator: "/").first.map(String.init) ?? ""
      return v1Controllers.contains(ctrl) && HostFeatures.exists("\(cgroupRoot)/\(arg)")
        ? nil
        : "host cgroup v1 lacks \(cgroupRoot)/\(arg)"
    case "cgroup-v2":
      return v2Controllers.contains(arg)
        ? nil
        : "host cgroup v2 lacks controller \(arg) (\(v2Mount ?? "no cgroup2 mount") offers: \(v2Controllers.sorted().joined(separator: " ").isEmpty ? "none" : v2Controllers.sorted().joined(separator: " ")))"
    case "cgroup-v2-unified":
      return v1Controllers.isEmpty && v2Mount != nil ? nil : "host is not cgroup v2 only (v1 controllers are mounted)"
    case "cap":
      guard let bit = HostFeatures.capabilityNames.firstIndex(of: arg) else { return "unknown capability \(arg)" }
      return boundingCaps & (1 << UInt64(bit)) != 0 ? nil : "host bounding set lacks \(arg)"
    case "apparmor", "selinux":
      return lsms.contains(kind) ? nil : "host has no \(kind == "apparmor" ? "AppArmor" : "SELinux")"
    case "seccomp": return seccomp ? nil : "host kernel has no seccomp"
    case "userns": return userNamespaces ? nil : "host has no user namespaces"
    case "timens": return timeNamespace ? nil : "host kernel has no time namespace"
    case "criu":
      guard let criu = executables["criu"] else { return "criu is not installed" }
      return HostFeatures.criuCheck(criu)
    case "nofile-hard":
      guard let n = UInt64(arg) else { return "bad need \(need)" }
      return nofileHard >= n ? nil : "host hard RLIMIT_NOFILE is \(nofileHard) < \(n)"
    case "kernel":
      let want = arg.split(separator: ".").compactMap { Int($0) }
      let (wMaj, wMin) = (want.first ?? 0, want.dropFirst().first ?? 0)
      return kernel.0 > wMaj || (kernel.0 == wMaj && kernel.1 >= wMin) ? nil : "kernel \(kernel.0).\(kernel.1) < \(arg)"
    case "executable":
      return HostFeatures.which(arg) != nil ? nil : "\(arg) is not installed"
    case "shared-root":
      return rootMountShared ? nil : "the host's / mount is not shared (a slave rootfs would have no master)"
    case "systemd":
      return systemdBooted
        ? nil : "the host does not run systemd as its init (no /run/systemd/system): drydock vm --init systemd"
    case "file":
      return HostFeatures.exists(arg) ? nil : "host has no \(arg)"
    case "absent":
      return HostFeatures.exists(arg) ? "host has \(arg)" : nil
    default:
      return "unknown need '\(need)'"
    }
  }

  /// `criu check` (its last error line when it fails), run once per process: it takes seconds.
  static func criuCheck(_ criu: String) -> String? {
    criuCheckLock.lock()
    defer { criuCheckLock.unlock() }
    if criuChecked { return criuProblem }
    let log = NSTemporaryDirectory() + "drydock-criu-check-\(getpid()).log"
    defer { unlink(log) }
    var problem: String?
    do {
      let result = try ProcessRunner.run([criu, "check", "--log-file", log], timeout: 120)
      if !result.succeeded {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").last { $0.contains("Error") }.map(String.init) ?? result.summary
        problem = "criu check fails on this host: \(line)"
      }
    } catch {
      problem = "criu check could not run: \(error)"
    }
    criuChecked = true
    criuProblem = problem
    return problem
  }
  // Guarded by criuCheckLock (conformance runs cases on several threads).
  nonisolated(unsafe) private static var criuChecked = false
  nonisolated(unsafe) private static var criuProblem: String?
  private static let criuCheckLock = NSLock()

  /// Every known need kind, for validating case files.
  public static let needKinds: Set<String> = [
    "cgroup-v1", "cgroup-v1-file", "cgroup-v2", "cgroup-v2-unified", "cap",
    "apparmor", "selinux", "seccomp", "userns", "timens", "criu", "nofile-hard", "kernel", "executable", "file",
    "absent", "shared-root", "systemd",
  ]
}
