/// network: classID (v1 net_cls.classid) and priorities (v1 net_prio.ifpriomap).
/// cgroup v2 has neither controller (tc/BPF do that job there).
enum NetworkController {
  static let prefix = "linux.resources.network."

  static func v1(_ l: CgroupLimits, netCls: String?, netPrio: String?) throws(CgroupError) {
    if let id = l.networkClassID {
      guard let dir = netCls else { throw .missingController(prefix + "classID", "net_cls") }
      try CgroupFiles.write(dir, "net_cls.classid", String(id), field: prefix + "classID")
    }
    guard !l.networkPriorities.isEmpty else { return }
    guard let dir = netPrio else { throw .missingController(prefix + "priorities", "net_prio") }
    for p in l.networkPriorities {
      try CgroupFiles.write(
        dir, "net_prio.ifpriomap", "\(p.key) \(p.value)", field: prefix + "priorities", append: true)
    }
  }

  static func v2(_ l: CgroupLimits) throws(CgroupError) {
    if l.networkClassID != nil {
      throw .unsupported(prefix + "classID", "cgroup v2 has no net_cls controller")
    }
    if !l.networkPriorities.isEmpty {
      throw .unsupported(prefix + "priorities", "cgroup v2 has no net_prio controller")
    }
  }
}
