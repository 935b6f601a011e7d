import Cgroups
import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

struct SpecCommand: HullCommand {
  static let name = "spec"
  static let summary = "write a default config.json into the bundle (--rootless for a user namespace)"
  static let flags: [Arguments.Flag] = [
    .init(names: ["bundle", "b"], takesValue: true), .init(names: ["rootless"], takesValue: false),
  ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let bundle = CreateOptions.absolute(args.value("bundle") ?? ".")
    let path = bundle + "/config.json"
    if Files.exists(path) {
      throw RuntimeError("spec", path, reason: "file exists; remove it first", errno: EEXIST)
    }
    // runc adds a cgroup namespace on cgroup v2 hosts only (v1 containers see host paths).
    let text = DefaultSpec.json(
      rootless: args.bool("rootless"), uid: getuid(), gid: getgid(),
      cgroupNamespace: CgroupHost.current().mode == .unified)
    do { try Files.write(path, Array((text + "\n").utf8), mode: 0o644) } catch {
      throw RuntimeError(error, context: "spec")
    }
    return 0
  }
}
