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

  @Test("a /dev tmpfs with ro: devices and /dev/pts are made first, then /dev is read-only")
  func readonlyDevTmpfs() throws {
    let sb = try Sandbox("dev-ro")
    defer { sb.cleanup() }
    var mounts = sb.config["mounts"]?.arrayValue ?? []
    for (index, mount) in mounts.enumerated() where mount["destination"]?.stringValue == "/dev" {
      mounts[index] = mount.setting("options", .array((mount["options"]?.arrayValue ?? []) + [.string("ro")]))
    }
    sb.set("mounts", .array(mounts))
    sb.script(
      "test -c /dev/null && echo null-ok; grep -q ' /dev/pts ' /proc/self/mountinfo && echo pts-ok; "
        + "touch /dev/new-file 2>&1; grep ' /dev ' /proc/self/mountinfo")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.contains("null-ok\npts-ok\n"), "\(result)")
    #expect(result.stdout.contains("Read-only file system"), "/dev is writable: \(result)")
    #expect(mountLine(result.stdout, "/dev")?.split(separator: " ")[5].hasPrefix("ro") == true, "\(result)")
  }

  @Test("a tmpfs without mode= keeps the mode of the directory it covers; mode= wins")
  func tmpfsModeFromMountpoint() throws {
    let sb = try Sandbox("tmpfs-mode", rootfs: .copy)
    defer { sb.cleanup() }
    #expect(chmod(sb.rootfs + "/home", 0o750) == 0)
    #expect(chmod(sb.rootfs + "/root", 0o710) == 0)
    sb.addMount(json: #"{"destination": "/home", "type": "tmpfs", "source": "tmpfs"}"#)
    sb.addMount(json: #"{"destination": "/root", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]}"#)
    sb.addMount(json: #"{"destination": "/fresh", "type": "tmpfs", "source": "tmpfs"}"#)
    sb.set("root.readonly", .bool(false))
    sb.script("stat -c '%n %a' /home /root /fresh")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "/home 750\n/root 700\n/fresh 1777\n", "\(result)")
  }

  @Test("a mount destination that is a dangling symlink is resolved inside the rootfs and its target made there")
  func danglingSymlinkDestination() throws {
    let sb = try Sandbox("dangling", rootfs: .copy)
    defer { sb.cleanup() }
    let outside = sb.dir + "/outside-\(getpid())"
    // Absolute and climbing targets: both must land inside the rootfs.
    #expect(symlink("/data/real", sb.rootfs + "/dangling-dir") == 0)
    #expect(symlink("../../../../../..\(outside)/file", sb.rootfs + "/dangling-file") == 0)
    try "bound".write(toFile: sb.shared + "/file", atomically: false, encoding: .utf8)
    sb.addMount(json: #"{"destination": "/dangling-dir", "type": "tmpfs", "source": "tmpfs"}"#)
    sb.addMount(
      json: #"{"destination": "/dangling-file", "type": "bind", "source": "\#(sb.shared)/file", "options": ["bind"]}"#)
    sb.script("grep -E ' /data/real | \(outside)/file ' /proc/self/mountinfo | cut -d' ' -f5,9; cat /dangling-file")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.hasPrefix("/data/real tmpfs\n\(outside)/file "), "\(result)")
    #expect(result.stdout.hasSuffix("bound"), "\(result)")
    var st = stat()
    #expect(
      stat(sb.rootfs + "/data/real", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR, "target not made in the rootfs")
    #expect(
      stat(sb.rootfs + outside + "/file", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG,
      "file target not made in the rootfs")
    #expect(access(outside, F_OK) != 0, "created on the host: \(outside)")
  }
}
