import Glibc
import LinuxKit

/// Bind sources opened in the launcher, before the clone, as detached trees (open_tree
/// OPEN_TREE_CLONE): with a user namespace the init could not reach a source its mapped
/// ids may not traverse (runc and crun open them first too), and an idmapped mount needs
/// MOUNT_ATTR_IDMAP set by the runtime on the host side, on the detached tree. The init
/// then only moves each tree onto its target (move_mount).
enum BindSources {
  static func open(_ plan: inout LaunchPlan, into fds: inout [Int32]) throws(RuntimeError) {
    for index in plan.mounts.indices {
      let step = plan.mounts[index]
      guard step.flags & UInt(MS_BIND) != 0, let source = step.source, plan.newUserNamespace || step.idmap != nil else {
        continue
      }
      let recursive = step.flags & UInt(MS_REC) != 0 || step.idmap?.recursive == true
      let tree = MountTree.clone(source, recursive: recursive)
      // Rootless: no open_tree without CAP_SYS_ADMIN, but the caller's ids are the ones the
      // init binds with anyway; an idmapped mount cannot be done there at all.
      if tree < 0 && errno == EPERM && step.idmap == nil { continue }
      if tree < 0 { throw RuntimeError(SystemError("open_tree (bind source of \(step.destination))", source)) }
      fds.append(tree)
      plan.mounts[index].detachedTreeFD = tree
      guard let idmap = step.idmap else { continue }
      // The mapping's user namespace is only needed while it is set.
      let userns = LinuxNamespace.userNamespace(uidMap: idmap.uidMap, gidMap: idmap.gidMap)
      if userns < 0 { throw RuntimeError(SystemError("create user namespace for idmapped mount", step.destination)) }
      defer { close(userns) }
      if MountTree.setIDMap(tree, userNamespace: userns, recursive: idmap.recursive) != 0 {
        throw RuntimeError(SystemError("mount_setattr (idmap)", step.destination))
      }
    }
  }

  /// In a user namespace the init cannot mknod, so it binds the host's node at the same
  /// path; a node the host lacks is made here instead (crun makes it too; runc fails).
  static func openDevices(_ plan: inout LaunchPlan, into fds: inout [Int32]) throws(RuntimeError) {
    guard plan.newUserNamespace else { return }
    for index in plan.devices.indices {
      let node = plan.devices[index]
      guard node.type != "p", !Files.exists(node.path) else { continue }
      let kind: UInt32 = node.type == "b" ? S_IFBLK : S_IFCHR
      // The owner is given in the container's ids: the host ids they map to.
      let tree = MountTree.deviceNode(
        mode: kind | (node.mode & 0o777), major: node.major, minor: node.minor,
        uid: hostID(node.uid, plan.uidMap ?? ""), gid: hostID(node.gid, plan.gidMap ?? ""))
      if tree < 0 {
        throw RuntimeError(SystemError("make device \(node.type) \(node.major):\(node.minor) for", node.path))
      }
      fds.append(tree)
      plan.devices[index].detachedTreeFD = tree
    }
  }

  /// The host id of `id` under a map in /proc/PID/uid_map form ("inside outside count" lines);
  /// the overflow id 65534 when unmapped.
  static func hostID(_ id: UInt32, _ map: String) -> UInt32 {
    for line in map.split(separator: "\n") {
      let fields = line.split(separator: " ").compactMap { UInt64($0) }
      guard fields.count == 3 else { continue }
      if UInt64(id) >= fields[0] && UInt64(id) < fields[0] + fields[2] {
        return UInt32(truncatingIfNeeded: fields[1] + UInt64(id) - fields[0])
      }
    }
    return 65534
  }
}
