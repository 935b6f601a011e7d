// CheckpointTrial: one checkpoint scenario trial. A fresh container is started detached (untimed); then
// `checkpoint --image-path DIR ID` (timed: "checkpoint", with the size of the CRIU image files it wrote) and
// `restore --detach --bundle B --image-path DIR --pid-file P ID-r` (timed: "restore"); then the restored
// container is killed and deleted and the images removed (untimed). The container's workload must keep no
// descriptor of the host's open (its stdio): CRIU cannot dump a file outside the container's mounts.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BenchRunner {
  /// CRIU takes seconds per dump (tens under TCG): the runtime's own call timeout is far too short.
  static let checkpointCallTimeout = 600.0

  func checkpointTrial(_ context: TrialContext, driver: RuntimeDriver, id: String) throws -> TrialOutcome {
    try writeConfig(context, id: id)
    let bundle = context.bundle.path
    let images = bundle + "/images-\(id)"
    let pidFile = bundle + "/\(id).pid"
    let restoredPidFile = bundle + "/\(id)-r.pid"
    let restored = id + "-r"
    defer {
      try? FileManager.default.removeItem(atPath: images)
      unlink(pidFile)
      unlink(restoredPidFile)
    }
    let started = try driver.run(id: id, bundle: bundle, detach: true, pidFile: pidFile)
    guard started.succeeded else { return fail(started, driver: driver, id: id) }
    isolationPause(context)
    let dump = try driver.invoke(["checkpoint", "--image-path", images, id], timeout: Self.checkpointCallTimeout)
    guard dump.succeeded else { return fail(dump, driver: driver, id: id) }
    var checkpoint = try usage("checkpoint", context)
    checkpoint.imageKB = Self.imageKilobytes(images)
    _ = try? driver.delete(id: id, force: true)  // runc and hull have removed it already; insurance
    isolationPause(context)
    let restore = try driver.invoke(
      [
        "restore", "--detach", "--bundle", bundle, "--image-path", images,
        "--pid-file", restoredPidFile, restored,
      ], timeout: Self.checkpointCallTimeout)
    guard restore.succeeded else { return fail(restore, driver: driver, id: restored) }
    let restoreUsage = try usage("restore", context)
    _ = try? driver.kill(id: restored, signal: "KILL")
    _ = waitForContainerExit(pidFile: restoredPidFile)
    _ = try? driver.delete(id: restored, force: true)
    return .measured([checkpoint, restoreUsage])
  }

  /// KB of the CRIU image files (*.img) in `directory`: what a migration moves (logs and the runtimes' own
  /// notes are left out).
  static func imageKilobytes(_ directory: String) -> Double? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
    var bytes = 0.0
    for name in names where name.hasSuffix(".img") {
      var info = stat()
      if lstat(directory + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG {
        bytes += Double(info.st_size)
      }
    }
    return bytes / 1024
  }
}
