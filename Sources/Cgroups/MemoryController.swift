extension CgroupSet {
  func applyMemory(_ limits: CgroupLimits) throws(CgroupError) {
    if let dir = directory(controller: "memory") {
      if let v = limits.memoryLimit { try CgroupSet.write(dir + "/memory.limit_in_bytes", String(v), field: "linux.resources.memory.limit") }
      if let v = limits.memoryReservation { try CgroupSet.write(dir + "/memory.soft_limit_in_bytes", String(v), field: "linux.resources.memory.reservation") }
      if let v = limits.memorySwap { try CgroupSet.write(dir + "/memory.memsw.limit_in_bytes", String(v), field: "linux.resources.memory.swap") }
      if let v = limits.memorySwappiness { try CgroupSet.write(dir + "/memory.swappiness", String(v), field: "linux.resources.memory.swappiness") }
      if let v = limits.disableOOMKiller, v { try CgroupSet.write(dir + "/memory.oom_control", "1", field: "linux.resources.memory.disableOOMKiller") }
    } else if host.mode == .unified, let dir = unifiedDirectory {
      if let v = limits.memoryLimit { try CgroupSet.write(dir + "/memory.max", v < 0 ? "max" : String(v), field: "linux.resources.memory.limit") }
      if let v = limits.memoryReservation { try CgroupSet.write(dir + "/memory.low", String(v), field: "linux.resources.memory.reservation") }
      // v1 swap is memory+swap; v2 memory.swap.max is swap alone.
      if let swap = limits.memorySwap {
        let value = swap < 0 ? "max" : String(max(0, swap - (limits.memoryLimit ?? 0)))
        try CgroupSet.write(dir + "/memory.swap.max", value, field: "linux.resources.memory.swap")
      }
    }
  }
}
