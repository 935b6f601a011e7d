// Issue 15: mount targets as runc treats them: procfs and sysfs only on an ordinary
// directory, dangling symlinks resolved inside the rootfs, the /dev tmpfs with `ro`.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("mount targets") struct MountTargetTests {
  @Test("/proc or /sys that is a symlink in the rootfs is refused, not followed", arguments: ["proc", "sys"])
  func procfsOnSymlinkRefused(_ name: String) throws {
    let sb = try Sandbox("symlink-\(name)", rootfs: .copy)
    defer { sb.cleanup() }
    // The image's /proc points at its /tmp: hull used to mount the fresh procfs (or sysfs) there.
    #expect(rmdir(sb.rootfs + "/" + name) == 0)
    #expect(symlink("/tmp", sb.rootfs + "/" + name) == 0)
    sb.script("echo must-not-run")
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status != 0, "\(result)")
    #expect(!result.stdout.contains("must-not-run"))
    #expect(result.stderr.contains("/\(name)") && result.stderr.contains("ordinary directory"), "\(result)")
    sb.expectNothingLeft(id)
  }
}
