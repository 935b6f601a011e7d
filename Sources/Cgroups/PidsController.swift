/// pids.max, the same file in v1 and v2 ("max" for 0 or less).
enum PidsController {
  static let field = "linux.resources.pids.limit"

  static func apply(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard let limit = l.pidsLimit else { return }
    guard let dir else { throw .missingController(field, "pids") }
    try CgroupFiles.write(dir, "pids.max", limit <= 0 ? "max" : String(limit), field: field)
  }

  static func stats(dir: String, into s: inout CgroupStats) {
    s.pids.current = CgroupFiles.number(dir, "pids.current") ?? 0
    s.pids.limit = CgroupFiles.number(dir, "pids.max") ?? 0
  }
}
