// A temp bundle for the init's unit tests: a rootfs with /bin/sh and /etc/passwd, the
// default `hull spec` config, and the plan and init run against a RecordingSyscalls.
// Nothing here needs root: the fake makes no privileged call.
import Cgroups
import Glibc
import LinuxKit
import OCISpec

@testable import RuntimeCore

final class InitFixture {
  let bundle: String
  let rootfs: String
  /// A host that is not this machine (a unified cgroup host where nothing is written).
  var host = FakeHost()

  init() {
    var template = Array("/tmp/hull-init-unit-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    if let resolved = realpath(dir, nil) {
      bundle = String(cString: resolved)
      free(resolved)
    } else {
      bundle = dir
    }
    rootfs = bundle + "/rootfs"
    for sub in ["", "/bin", "/etc", "/proc", "/sys"] { mkdir(rootfs + sub, 0o755) }
    write("/bin/sh", "#!", mode: 0o755)
    write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n")
  }

  deinit { Files.removeTree(bundle) }

  /// Creates a file in the rootfs.
  func write(_ path: String, _ text: String, mode: UInt32 = 0o644) {
    try! Files.write(rootfs + path, Array(text.utf8), mode: mode)
    chmod(rootfs + path, mode)
  }

  func makeDirectory(_ path: String) { try! Files.makeDirectories(rootfs + path) }

  func symlink(_ path: String, to target: String) { _ = Glibc.symlink(target, rootfs + path) }

  /// The default config (`hull spec`), without a terminal, changed by `change`.
  func spec(_ change: (inout Spec) -> Void = { _ in }) throws -> Spec {
    var spec = try Spec.parse(Array(DefaultSpec.json(rootless: false).utf8))
    spec.process?.terminal = false
    change(&spec)
    return spec
  }

  func plan(_ spec: Spec) throws -> LaunchPlan {
    try Planner.plan(
      spec: spec, options: LaunchOptions(id: "unit", bundle: bundle, stateDir: bundle + "/state/unit"),
      host: host)
  }

  /// Runs the init's setup (InitStage.setUp) of `plan` to its execve, as `run` starts it: the
  /// start message is already waiting on the sync channel.
  @discardableResult
  func runInit(
    _ plan: LaunchPlan, kernel: RecordingSyscalls? = nil,
    configure: (RecordingSyscalls) -> Void = { _ in }
  ) throws -> RecordingSyscalls {
    let kernel = kernel ?? RecordingSyscalls(rootfs: rootfs)
    configure(kernel)
    let channels = try SyncChannel.pair()
    defer {
      channels.parent.close()
      channels.child.close()
    }
    channels.parent.send(.start)
    var context = InitContext(kernel: kernel, sync: channels.child)
    let fds = InitStage.Descriptors(
      sync: channels.child, start: .channel, consoleSocket: -1, waitForParent: false,
      unshareCgroupNamespace: false, stateLock: -1)
    _ = try InitStage.setUp(plan, fds, &context)
    return kernel
  }
}
