import Cgroups
import Glibc
import LinuxKit

/// Which processes are the container's, for `kill --all` and `delete --force`.
///
/// A cgroupsPath may name a cgroup that existed before (made by hand, or shared with other
/// containers): its other processes are not the container's and must survive. So the
/// container's processes are those in its cgroup that live in the init's own pid namespace
/// or descend from the init; everything in the cgroup only when the container shares the
/// host's pid namespace (exec'd and daemonized processes are not the init's descendants)
/// and hull made that cgroup for it. runc 1.1.5 and crun 1.8.1 signal the whole cgroup
/// on kill --all, whoever made it.
extension ContainerRecord {
  /// hull created the container's cgroup itself (its last level, in every hierarchy).
  var ownsCgroup: Bool {
    guard let cgroup else { return false }
    // A systemd unit is started for this container alone (a loaded unit of the name is refused).
    if cgroup.isSystemdManaged { return true }
    let created = Set(cgroupCreated)
    return cgroup.directories.allSatisfy { created.contains($0) || access($0, F_OK) != 0 }
  }

  /// Sends `signal` to every process of the container except the init itself; returns
  /// how many were signalled. Each is checked again through a pidfd (which pins its pid)
  /// before the signal, so a pid reused meanwhile is never hit.
  @discardableResult
  func signalProcesses(_ signal: Int32, initAlive: Bool) -> Int {
    guard let cgroup else { return 0 }
    // A live init of its own pid namespace: that namespace is the container, whoever made the
    // cgroup (as runc, which kills such a container through its init alone).
    let initNamespace =
      initAlive && pid > 0 && ProcFS.isPidNamespaceInit(pid) ? ProcFS.namespaceLink(pid: pid, kind: "pid") : nil
    let wholeCgroup = initNamespace == nil && ownsCgroup
    // Without a live init, nothing tells the container's processes from others in a shared cgroup.
    guard wholeCgroup || (initAlive && pid > 0) else { return 0 }
    var count = 0
    for candidate in cgroup.pids() where candidate != pid {
      let fd = PidFD.openNumber(candidate)
      guard fd >= 0 else { continue }
      defer { close(fd) }
      guard wholeCgroup || belongsToInit(candidate, initNamespace: initNamespace) else { continue }
      if PidFD.send(signal, to: fd) { count += 1 }
    }
    return count
  }

  /// In the init's own pid namespace, or a descendant of the init.
  private func belongsToInit(_ candidate: Int32, initNamespace: String?) -> Bool {
    if let initNamespace, ProcFS.namespaceLink(pid: candidate, kind: "pid") == initNamespace { return true }
    var current = candidate
    for _ in 0..<4096 {
      guard let parent = ProcFS.parentPid(of: current), parent > 1 else { return false }
      if parent == pid { return true }
      current = parent
    }
    return false
  }
}
