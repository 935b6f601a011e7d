/// hugepageLimits: v1 hugetlb.<size>.limit_in_bytes, v2 hugetlb.<size>.max; the
/// reservation counterparts (.rsvd.*) too when the kernel has them, as runc does, so a
/// reservation cannot dodge the limit.
enum HugetlbController {
  static let field = "linux.resources.hugepageLimits"

  static func apply(_ l: CgroupLimits, dir: String?, v2: Bool) throws(CgroupError) {
    guard !l.hugepageLimits.isEmpty else { return }
    guard let dir else { throw .missingController(field, "hugetlb") }
    for h in l.hugepageLimits {
      let base = "hugetlb." + h.pageSize
      let limitFile = base + (v2 ? ".max" : ".limit_in_bytes")
      let rsvdFile = base + (v2 ? ".rsvd.max" : ".rsvd.limit_in_bytes")
      guard CgroupFiles.exists(dir, limitFile) else {
        throw CgroupError(
          "set \(field) pageSize \(h.pageSize):", dir + "/" + limitFile, errno: 2,
          detail:
            "this host has no \(h.pageSize) huge pages (no \(limitFile); sizes here are \(pageSizes(dir: dir).joined(separator: ", ")))"
        )
      }
      try CgroupFiles.write(dir, limitFile, String(h.limit), field: field)
      if CgroupFiles.exists(dir, rsvdFile) { try CgroupFiles.write(dir, rsvdFile, String(h.limit), field: field) }
    }
  }

  /// Page sizes the directory offers, from its hugetlb.<size>.* file names.
  static func pageSizes(dir: String) -> [String] {
    var sizes: [String] = []
    for name in CgroupFiles.list(dir) where name.hasPrefix("hugetlb.") {
      let parts = name.split(separator: ".")
      if parts.count >= 3, !sizes.contains(String(parts[1])) { sizes.append(String(parts[1])) }
    }
    return sizes.sorted()
  }

  static func stats(dir: String, v2: Bool, into s: inout CgroupStats) {
    for size in pageSizes(dir: dir) {
      let b = "hugetlb." + size
      if v2 {
        let events = CgroupFiles.keyValues(dir, b + ".events")
        s.hugetlb.append(
          .init(
            pageSize: size, usage: CgroupFiles.number(dir, b + ".current") ?? 0,
            max: 0, failcnt: CgroupFiles.lookup(events, "max") ?? 0))
      } else {
        s.hugetlb.append(
          .init(
            pageSize: size, usage: CgroupFiles.number(dir, b + ".usage_in_bytes") ?? 0,
            max: CgroupFiles.number(dir, b + ".max_usage_in_bytes") ?? 0,
            failcnt: CgroupFiles.number(dir, b + ".failcnt") ?? 0))
      }
    }
  }
}
