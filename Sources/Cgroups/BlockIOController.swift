/// blkio (v1) / io (v2): weight, leafWeight, weightDevice, the four throttle lists,
/// and the blkio part of the stats.
enum BlockIOController {
  static let prefix = "linux.resources.blockIO."

  // MARK: v1

  static func v1(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard l.hasBlockIO else { return }
    guard let dir else { throw .missingController(prefix + "weight", "blkio") }
    // CFQ's blkio.weight is gone from current kernels; BFQ offers blkio.bfq.weight (same
    // range and line format), which runc falls back to as well.
    let bfq = !CgroupFiles.exists(dir, "blkio.weight") && CgroupFiles.exists(dir, "blkio.bfq.weight")
    if let w = l.blkioWeight, w != 0 {
      try CgroupFiles.write(dir, bfq ? "blkio.bfq.weight" : "blkio.weight", String(w), field: prefix + "weight")
    }
    if let w = l.blkioLeafWeight, w != 0 {
      try CgroupFiles.write(dir, "blkio.leaf_weight", String(w), field: prefix + "leafWeight")
    }
    for d in l.blkioWeightDevices {
      try CgroupFiles.write(
        dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", d.line, field: prefix + "weightDevice",
        append: true)
    }
    for d in l.blkioLeafWeightDevices {
      try CgroupFiles.write(
        dir, "blkio.leaf_weight_device", d.line, field: prefix + "weightDevice.leafWeight", append: true)
    }
    for (list, file, name) in throttles(l) {
      for d in list { try CgroupFiles.write(dir, "blkio.throttle." + file, d.line, field: prefix + name, append: true) }
    }
  }

  static func throttles(_ l: CgroupLimits) -> [([CgroupLimits.BlockDeviceValue], String, String)] {
    [
      (l.blkioThrottleReadBps, "read_bps_device", "throttleReadBpsDevice"),
      (l.blkioThrottleWriteBps, "write_bps_device", "throttleWriteBpsDevice"),
      (l.blkioThrottleReadIOPS, "read_iops_device", "throttleReadIOPSDevice"),
      (l.blkioThrottleWriteIOPS, "write_iops_device", "throttleWriteIOPSDevice"),
    ]
  }

  // MARK: v2

  static func v2(_ l: CgroupLimits, dir: String) throws(CgroupError) {
    guard l.hasBlockIO else { return }
    if l.blkioLeafWeight.map({ $0 != 0 }) ?? false {
      throw .unsupported(prefix + "leafWeight", "cgroup v2 has no leaf weight (blkio.leaf_weight is v1 CFQ only)")
    }
    if !l.blkioLeafWeightDevices.isEmpty {
      throw .unsupported(
        prefix + "weightDevice.leafWeight", "cgroup v2 has no leaf weight (blkio.leaf_weight_device is v1 CFQ only)")
    }
    // With BFQ, io.bfq.weight takes v1 values unchanged; otherwise io.weight, converted.
    let bfq = CgroupFiles.exists(dir, "io.bfq.weight")
    if let w = l.blkioWeight, w != 0 {
      if bfq {
        try CgroupFiles.write(dir, "io.bfq.weight", String(w), field: prefix + "weight")
      } else {
        try CgroupFiles.write(
          dir, "io.weight", "default \(CgroupConversions.ioWeight(blkio: UInt64(w)))", field: prefix + "weight")
      }
    }
    for d in l.blkioWeightDevices {
      if bfq {
        try CgroupFiles.write(dir, "io.bfq.weight", d.line, field: prefix + "weightDevice", append: true)
      } else {
        let line = "\(d.major):\(d.minor) \(CgroupConversions.ioWeight(blkio: d.value))"
        try CgroupFiles.write(dir, "io.weight", line, field: prefix + "weightDevice", append: true)
      }
    }
    let keys = ["rbps", "wbps", "riops", "wiops"]
    for (i, (list, _, name)) in throttles(l).enumerated() {
      for d in list {
        try CgroupFiles.write(
          dir, "io.max", "\(d.major):\(d.minor) \(keys[i])=\(d.value)", field: prefix + name, append: true)
      }
    }
  }

  // MARK: stats

  /// "8:0 Read 4096" lines; "Total N" lines carry no device and are skipped.
  static func parseV1(_ text: String?) -> [CgroupStats.BlkioEntry] {
    var out: [CgroupStats.BlkioEntry] = []
    for line in (text ?? "").split(separator: "\n") {
      let f = line.split(separator: " ")
      guard f.count == 3, let (major, minor) = device(f[0]), let v = UInt64(f[2]) else { continue }
      out.append(.init(major: major, minor: minor, op: String(f[1]), value: v))
    }
    return out
  }

  static func device(_ s: Substring) -> (UInt64, UInt64)? {
    let p = s.split(separator: ":")
    guard p.count == 2, let a = UInt64(p[0]), let b = UInt64(p[1]) else { return nil }
    return (a, b)
  }

  static func statsV1(dir: String, into s: inout CgroupStats) {
    // Prefer BFQ's per-cgroup accounting, then the throttle layer's (always present).
    let base = CgroupFiles.exists(dir, "blkio.bfq.io_service_bytes_recursive") ? "blkio.bfq." : "blkio.throttle."
    s.blkio.ioServiceBytesRecursive = parseV1(CgroupFiles.read(dir, base + "io_service_bytes_recursive"))
    s.blkio.ioServicedRecursive = parseV1(CgroupFiles.read(dir, base + "io_serviced_recursive"))
  }

  /// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", mapped to v1's ops.
  static func statsV2(dir: String, into s: inout CgroupStats) {
    for line in (CgroupFiles.read(dir, "io.stat") ?? "").split(separator: "\n") {
      let f = line.split(separator: " ")
      guard let first = f.first, let (major, minor) = device(first) else { continue }
      for kv in f.dropFirst() {
        let p = kv.split(separator: "=")
        guard p.count == 2, let v = UInt64(p[1]) else { continue }
        switch p[0] {
        case "rbytes": s.blkio.ioServiceBytesRecursive.append(.init(major: major, minor: minor, op: "Read", value: v))
        case "wbytes": s.blkio.ioServiceBytesRecursive.append(.init(major: major, minor: minor, op: "Write", value: v))
        case "rios": s.blkio.ioServicedRecursive.append(.init(major: major, minor: minor, op: "Read", value: v))
        case "wios": s.blkio.ioServicedRecursive.append(.init(major: major, minor: minor, op: "Write", value: v))
        default: continue
        }
      }
    }
  }
}
