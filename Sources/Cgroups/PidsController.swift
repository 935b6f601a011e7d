extension CgroupSet {
  func applyPids(_ limits: CgroupLimits) throws(CgroupError) {
    guard let limit = limits.pidsLimit else { return }
    let value = limit <= 0 ? "max" : String(limit)
    if let dir = directory(controller: "pids") {
      try CgroupSet.write(dir + "/pids.max", value, field: "linux.resources.pids.limit")
    } else if host.mode == .unified, let dir = unifiedDirectory {
      try CgroupSet.write(dir + "/pids.max", value, field: "linux.resources.pids.limit")
    }
  }
}
