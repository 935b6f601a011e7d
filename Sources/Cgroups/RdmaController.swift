/// rdma: one rdma.max line per device ("mlx4_0 hca_handle=2 hca_object=2000"), the same
/// format in v1 and v2.
enum RdmaController {
  static let field = "linux.resources.rdma"

  static func apply(_ l: CgroupLimits, dir: String?) throws(CgroupError) {
    guard !l.rdma.isEmpty else { return }
    guard let dir else { throw .missingController(field, "rdma") }
    for r in l.rdma {
      try CgroupFiles.write(dir, "rdma.max", r.line, field: field + "." + r.device, append: true)
    }
  }
}
