// Issue 15: where the container's root comes from when the config gives no mount namespace
// of the container's own (chroot into root.path, as runc and crun), or one to join by path
// (the rootfs is set up and pivoted inside it, as runc and crun).
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("mount namespace: none, joined") struct MountNamespaceTests {
  /// A config without a mount namespace: proc and a /dev tmpfs only (made in the caller's
  /// namespace, as runc and crun do), a writable root, no hostname.
  static func withoutMountNamespace(_ sb: Sandbox, namespaces: String) {
    sb.set("linux.namespaces", json: namespaces)
    sb.set("hostname", nil)
    sb.set("root.readonly", .bool(false))
    sb.set("linux.maskedPaths", nil)
    sb.set("linux.readonlyPaths", nil)
    sb.set(
      "mounts",
      json: #"[{"destination": "/proc", "type": "proc", "source": "proc"},"#
        + #" {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}]"#)
  }

  @Test(
    "without a mount namespace the process runs in root.path, not on the host's /",
    arguments: [#"[]"#, #"[{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}]"#])
  func noMountNamespaceChroots(_ namespaces: String) throws {
    let sb = try Sandbox("no-mntns")
    defer { sb.cleanup() }
    Self.withoutMountNamespace(sb, namespaces: namespaces)
    sb.script(
      "test -e \(HullTestEnv.base) && echo host-visible; test -e \(HullTestEnv.repoRoot) && echo host-visible; "
        + "cat /etc/passwd; ls /proc/self/fd >/dev/null && echo proc-ok; test -c /dev/null && echo dev-ok; readlink /proc/$$/ns/mnt"
    )
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(!result.stdout.contains("host-visible"), "the host's / is the container's: \(result)")
    #expect(
      result.stdout.contains("nobody:x:65534:65534:nobody:/:/bin/false"), "not the bundle's /etc/passwd: \(result)")
    #expect(
      result.stdout.contains("proc-ok\ndev-ok\n\(namespaceLink("self", "mnt"))\n"),
      "not in the caller's mount namespace: \(result)")
  }

  @Test("without a mount namespace, exec runs in root.path too (runc 1.1.5 and crun 1.8.1 exec on the host's /)")
  func noMountNamespaceExec() throws {
    let sb = try Sandbox("no-mntns-exec")
    defer { sb.cleanup() }
    Self.withoutMountNamespace(sb, namespaces: #"[{"type": "pid"}]"#)
    sb.script("exec sleep 30")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    let exec = try sb.hull(
      ["exec", id, "sh", "-c", "test -e \(HullTestEnv.base) && echo host-visible; pwd; cat /etc/passwd"],
      writeConfig: false)
    #expect(exec.status == 0, "\(exec)")
    #expect(!exec.stdout.contains("host-visible"), "exec ran on the host's /: \(exec)")
    #expect(exec.stdout.hasPrefix("/\n") && exec.stdout.contains("nobody:x:65534:65534:nobody:/:/bin/false"), "\(exec)")
  }

  @Test(
    "without a mount namespace, root.readonly, rootfsPropagation, maskedPaths and readonlyPaths are refused (they would change the host's mounts)"
  )
  func noMountNamespaceRefusesHostChanges() throws {
    let sb = try Sandbox("no-mntns-ro")
    defer { sb.cleanup() }
    Self.withoutMountNamespace(sb, namespaces: #"[{"type": "pid"}]"#)
    sb.set("root.readonly", .bool(true))
    let id = sb.newID("ro")
    let readonly = try sb.runContainer(id)
    #expect(readonly.status != 0 && readonly.stderr.contains("root.readonly"), "\(readonly)")
    sb.expectNothingLeft(id)
    sb.set("root.readonly", .bool(false))
    sb.set("linux.rootfsPropagation", .string("private"))
    let propagation = try sb.runContainer(sb.newID("prop"))
    #expect(propagation.status != 0 && propagation.stderr.contains("linux.rootfsPropagation"), "\(propagation)")
    sb.set("linux.rootfsPropagation", nil)
    sb.set("linux.maskedPaths", json: #"["/proc/kcore"]"#)
    let masked = try sb.runContainer(sb.newID("masked"))
    #expect(masked.status != 0 && masked.stderr.contains("linux.maskedPaths"), "\(masked)")
  }

  @Test("without a mount namespace, a failing mount detaches the mounts made before it")
  func noMountNamespaceFailureLeavesNoMount() throws {
    let sb = try Sandbox("no-mntns-fail")
    defer { sb.cleanup() }
    Self.withoutMountNamespace(sb, namespaces: #"[{"type": "pid"}]"#)
    sb.addMount(
      json: #"{"destination": "/mnt", "type": "bind", "source": "\#(sb.dir)/no-such-source", "options": ["bind"]}"#)
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status != 0 && result.stderr.contains("/mnt"), "\(result)")
    sb.expectNothingLeft(id)
  }

  static let unsharePath: String? = ([String])(["/usr/bin/unshare", "/bin/unshare"]).first { access($0, X_OK) == 0 }

  @Test(
    "a mount namespace joined by path gets the rootfs set up and pivoted inside it (runc, crun)",
    .enabled(if: unsharePath != nil, "no unshare(1) on this host"))
  func joinedMountNamespaceGetsRootfs() throws {
    let sb = try Sandbox("join-mntns")
    defer { sb.cleanup() }
    // A persistent mount namespace (a copy of ours) bound on a file in a private tmpfs.
    let nsdir = sb.dir + "/nsdir"
    #expect(mkdir(nsdir, 0o755) == 0)
    #expect(mount("tmpfs", nsdir, "tmpfs", 0, nil) == 0 && mount(nil, nsdir, nil, UInt(MS_PRIVATE), nil) == 0)
    #expect(creat(nsdir + "/mnt", 0o644) >= 0)
    let made = try run([Self.unsharePath!, "--mount=\(nsdir)/mnt", "true"], outputDir: sb.dir)
    #expect(made.status == 0, "\(made)")
    var st = stat()
    #expect(stat(nsdir + "/mnt", &st) == 0)
    sb.set("linux.namespaces", json: #"[{"type": "mount", "path": "\#(nsdir)/mnt"}, {"type": "pid"}]"#)
    sb.set("hostname", nil)
    sb.script("readlink /proc/$$/ns/mnt; test -e \(HullTestEnv.base) && echo host-visible; cat /etc/passwd")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.hasPrefix("mnt:[\(st.st_ino)]\n"), "not in the joined namespace: \(result)")
    #expect(
      !result.stdout.contains("host-visible"), "the joined namespace's / was not replaced by the rootfs: \(result)")
    #expect(result.stdout.contains("nobody:x:65534:65534:nobody:/:/bin/false"), "\(result)")
  }

  @Test(
    "--no-pivot: a process with a user namespace cannot mount a fresh, unmasked procfs (runc denies it too)",
    .enabled(if: Host.hasUserNamespace, "no user namespaces"))
  func noPivotLeavesNoFullProcfs() throws {
    let sb = try Sandbox("nopivot-procfs")
    defer { sb.cleanup() }
    // Enough to make a user namespace mapping root (CAP_SETFCAP since Linux 5.12) and mount in it.
    let caps = jsonStrings(["CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP"])
    sb.set("process.capabilities", .object(JSONObject([("bounding", caps), ("effective", caps), ("permitted", caps)])))
    sb.script(#"unshare -mrpf sh -c 'echo in-userns; mount -t proc none /proc && echo MOUNTED; ls /proc/keys'"#)
    for extra in [["--no-pivot"], []] {
      let result = try sb.runContainer(sb.newID(extra.isEmpty ? "pivot" : "nopivot"), extra: extra)
      #expect(result.stdout.hasPrefix("in-userns\n"), "\(extra): no user namespace inside: \(result)")
      // The host's procfs, out of reach but still mounted, made the kernel allow this mount.
      #expect(!result.stdout.contains("MOUNTED"), "\(extra): a fresh procfs was mounted, maskedPaths undone: \(result)")
    }
  }
}
