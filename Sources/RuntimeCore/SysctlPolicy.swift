import Glibc
import LinuxKit
import OCISpec

/// linux.sysctl: which keys a container may set. /proc/sys is only partly namespaced, and hull
/// writes it as root of the host: a key outside the container's own namespaces would change the
/// host's kernel (kernel.core_pattern runs a program of the writer's choosing as root). Checked
/// at create before anything is made, as runc's validator does (libcontainer/configs/validate).
enum SysctlPolicy {
  /// The ipc namespace's sysctls (runc's list; the kernel's ipc/ipc_sysctl.c also namespaces
  /// the *_next_id ones CRIU writes), plus fs.mqueue.* below.
  static let ipcKeys: Set<String> = [
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
    "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msg_next_id", "kernel.sem_next_id", "kernel.shm_next_id",
  ]

  /// The key's components, read as sysctl(8) does: separated by dots, unless the first separator
  /// is a slash, in which case slashes separate and a dot is part of a name (net/ipv4/conf/eth0.100/…);
  /// in the dotted form a slash stands for a dot in a name (net.ipv4.conf.eth0/100.…). runc reads
  /// keys the same way. nil when a component is empty, "." or "..".
  static func components(_ key: String) -> [String]? {
    let slashForm = key.first { $0 == "." || $0 == "/" } == "/"
    let parts = key.split(separator: slashForm ? "/" : ".", omittingEmptySubsequences: false).map { part in
      slashForm ? String(part) : String(part.map { $0 == "/" ? "." : $0 })
    }
    for part in parts where part.isEmpty || part == "." || part == ".." { return nil }
    return parts
  }

  /// The file under /proc/sys a (checked) key names.
  static func procPath(_ key: String) -> String {
    "/proc/sys/" + (components(key) ?? []).joined(separator: "/")
  }

  static func check(_ spec: Spec) throws(RuntimeError) {
    let linux = spec.linux
    for (key, _) in linux?.sysctl ?? [] {
      let field = "linux.sysctl[\(JSON.quote(key))]"
      if key.utf8.contains(0) { throw InputChecks.fail(field, "the key contains a NUL byte") }
      guard let parts = components(key) else {
        throw InputChecks.fail(
          field, "the key has an empty, \".\" or \"..\" component (expected a name such as net.ipv4.ip_forward)")
      }
      let name = parts.joined(separator: ".")
      let needed: NamespaceKind
      if ipcKeys.contains(name) || name.hasPrefix("fs.mqueue.") {
        needed = .ipc
      } else if parts[0] == "net" {
        needed = .network
      } else if name == "kernel.domainname" {
        needed = .uts
      } else if name == "kernel.hostname" {
        throw InputChecks.fail(
          field, "conflicts with the hostname field (set that instead), as runc and crun refuse it")
      } else if parts[0] == "user" {
        // user.max_*: per user namespace, and a child's limit cannot exceed its parent's.
        needed = .user
      } else {
        throw InputChecks.fail(field, "not namespaced by the kernel: writing it would change the host's value")
      }
      try requireOwnNamespace(needed, linux: linux, field: field)
    }
  }

  /// The container must have a namespace of `kind` that is not hull's own: a new one, or one
  /// joined by path that is not the one hull runs in (runc checks this for net only; joined
  /// by path to the host's ipc namespace, runc 1.1.5 writes the host's kernel.shm* values).
  static func requireOwnNamespace(_ kind: NamespaceKind, linux: Linux?, field: String) throws(RuntimeError) {
    let name = kind == .network ? "network" : kind.rawValue
    guard let ns = linux?.namespace(kind) else {
      throw InputChecks.fail(
        field,
        "needs the container's own \(name) namespace: linux.namespaces has no \(name) entry, so it would change the host's value"
      )
    }
    guard let path = ns.path, !path.isEmpty else { return }
    let own = "/proc/self/ns/" + (LinuxNamespace(rawValue: kind.rawValue)?.procName ?? kind.rawValue)
    var joined = stat()
    var current = stat()
    guard stat(path, &joined) == 0 else {
      throw RuntimeError(
        "check \(field): stat the \(name) namespace", path, reason: SystemError.describe(errno), errno: errno)
    }
    guard stat(own, &current) == 0 else {
      throw RuntimeError("check \(field): stat", own, reason: SystemError.describe(errno), errno: errno)
    }
    if joined.st_dev == current.st_dev && joined.st_ino == current.st_ino {
      throw InputChecks.fail(
        field,
        "needs the container's own \(name) namespace, but \(path) is the \(name) namespace hull runs in (the host's)")
    }
  }
}
