// What `hull spec` writes: the content of `runc spec` (specconv.Example) and, for
// --rootless, of runc's ToRootless, so bundles made for runc work unchanged.

public enum DefaultSpec {
  /// The config.json text, tab-indented like `runc spec`. For `rootless`, uid and gid
  /// are the caller's effective ids, mapped to root in a new user namespace. As runc, a
  /// cgroup namespace only on a cgroup v2 (unified) host: `cgroupNamespace`.
  public static func json(rootless: Bool, uid: UInt32 = 0, gid: UInt32 = 0, cgroupNamespace: Bool = true) -> String {
    JSON.serialize(value(rootless: rootless, uid: uid, gid: gid, cgroupNamespace: cgroupNamespace), indent: "\t")
  }

  public static func value(rootless: Bool, uid: UInt32 = 0, gid: UInt32 = 0, cgroupNamespace: Bool = true) -> JSONValue
  {
    let caps = stringArray(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
    let process = obj([
      ("terminal", .bool(true)),
      ("user", obj([("uid", .int(0)), ("gid", .int(0))])),
      ("args", stringArray(["sh"])),
      ("env", stringArray(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"])),
      ("cwd", .string("/")),
      // No inheritable set: runc dropped it (CVE-2022-29162) and so does hull.
      ("capabilities", obj([("bounding", caps), ("effective", caps), ("permitted", caps), ("ambient", caps)])),
      ("rlimits", .array([obj([("type", .string("RLIMIT_NOFILE")), ("hard", .int(1024)), ("soft", .int(1024))])])),
      ("noNewPrivileges", .bool(true)),
    ])
    let mounts: [JSONValue] = [
      mount("/proc", "proc", "proc", nil),
      mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
      mount(
        "/dev/pts", "devpts", "devpts",
        ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] + (rootless ? [] : ["gid=5"])),
      mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
      mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
      // A rootless container cannot mount sysfs without its own network namespace: bind the host's.
      rootless
        ? mount("/sys", "none", "/sys", ["rbind", "nosuid", "noexec", "nodev", "ro"])
        : mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]
    var namespaces: [JSONValue] = [ns("pid")]
    if !rootless { namespaces.append(ns("network")) }
    namespaces += [ns("ipc"), ns("uts"), ns("mount")]
    if cgroupNamespace { namespaces.append(ns("cgroup")) }
    if rootless { namespaces.append(ns("user")) }
    var linux: [(key: String, value: JSONValue)] = []
    if rootless {
      linux.append(("uidMappings", .array([idMap(hostID: uid)])))
      linux.append(("gidMappings", .array([idMap(hostID: gid)])))
    } else {
      // Deny every device by default; only the runtime's default devices get through.
      linux.append(
        ("resources", obj([("devices", .array([obj([("allow", .bool(false)), ("access", .string("rwm"))])]))])))
    }
    linux.append(("namespaces", .array(namespaces)))
    linux.append(
      (
        "maskedPaths",
        stringArray([
          "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi", "/sys/devices/virtual/powercap",
        ])
      ))
    linux.append(
      ("readonlyPaths", stringArray(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])))
    return obj([
      ("ociVersion", .string(supportedOCIVersionMax)),
      ("process", process),
      ("root", obj([("path", .string("rootfs")), ("readonly", .bool(true))])),
      ("hostname", .string("hull")),
      ("mounts", .array(mounts)),
      ("linux", .object(JSONObject(linux))),
    ])
  }

  private static func obj(_ entries: [(key: String, value: JSONValue)]) -> JSONValue { .object(JSONObject(entries)) }
  private static func ns(_ type: String) -> JSONValue { obj([("type", .string(type))]) }
  private static func idMap(hostID: UInt32) -> JSONValue {
    obj([("containerID", .int(0)), ("hostID", .int(Int64(hostID))), ("size", .int(1))])
  }
  private static func mount(_ dest: String, _ type: String, _ source: String, _ options: [String]?) -> JSONValue {
    var e: [(key: String, value: JSONValue)] = [
      ("destination", .string(dest)), ("type", .string(type)), ("source", .string(source)),
    ]
    if let options { e.append(("options", stringArray(options))) }
    return obj(e)
  }
}
