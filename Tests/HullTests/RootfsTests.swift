// Issue 2 item 6: pivot_root / --no-pivot, root.readonly, rootfsPropagation, mounts in
// order, default devices, linux.devices, maskedPaths, readonlyPaths, hostname, domainname, sysctl.
import Foundation
import Glibc
import OCISpec
import Testing

/// The mountinfo line of `point` in the container's output of `cat /proc/self/mountinfo`.
func mountLine(_ mountinfo: String, _ point: String) -> String? {
  mountinfo.split(separator: "\n").last { $0.split(separator: " ").dropFirst(4).first.map(String.init) == point }.map(
    String.init)
}

@Suite("rootfs and mounts") struct RootfsTests {
  @Test("root.readonly: writes to / fail; without it they work")
  func readonlyRoot() throws {
    let sb = try Sandbox("ro-root", rootfs: .copy)
    defer { sb.cleanup() }
    sb.script("touch /written-by-container && echo wrote; cat /proc/self/mountinfo")
    sb.set("root.readonly", .bool(true))
    let ro = try sb.runContainer(sb.newID("ro"))
    #expect(!ro.stdout.contains("wrote"), "\(ro)")
    #expect(ro.stderr.contains("Read-only file system"), "\(ro)")
    #expect(mountLine(ro.stdout, "/")?.split(separator: " ")[5].hasPrefix("ro") == true, "\(ro)")
    #expect(access(sb.rootfs + "/written-by-container", F_OK) != 0)

    sb.set("root.readonly", .bool(false))
    let rw = try sb.runContainer(sb.newID("rw"))
    #expect(rw.status == 0 && rw.stdout.hasPrefix("wrote\n"), "\(rw)")
    #expect(access(sb.rootfs + "/written-by-container", F_OK) == 0)
  }

  @Test("pivot_root hides the host; --no-pivot works too")
  func pivotAndNoPivot() throws {
    let sb = try Sandbox("no-pivot")
    defer { sb.cleanup() }
    sb.script("ls /; test -e \(HullTestEnv.repoRoot) && echo host-visible; cat /proc/self/mountinfo | wc -l")
    for extra in [[], ["--no-pivot"]] {
      let result = try sb.runContainer(sb.newID(extra.isEmpty ? "pivot" : "nopivot"), extra: extra)
      #expect(result.status == 0, "\(extra): \(result)")
      #expect(result.stdout.contains("bin\n") && result.stdout.contains("etc\n"), "\(result)")
      #expect(!result.stdout.contains("host-visible"), "\(extra): the host's tree is reachable: \(result)")
    }
  }

  @Test(
    "rootfsPropagation sets the propagation of the container's /",
    arguments: ["private", "shared", "slave", "rprivate"])
  func rootfsPropagation(_ mode: String) throws {
    let sb = try Sandbox("propagation-\(mode)")
    defer { sb.cleanup() }
    sb.set("linux.rootfsPropagation", .string(mode))
    // Our bind of the rootfs is made shared (it is ours), so a slave has a master to follow.
    #expect(mount(nil, sb.rootfs, nil, UInt(MS_SHARED), nil) == 0)
    sb.script("cat /proc/self/mountinfo")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let line = mountLine(result.stdout, "/") ?? ""
    let optional = line.split(separator: " ").dropFirst(6).prefix { $0 != "-" }.joined(separator: " ")
    switch mode {
    case "shared": #expect(optional.contains("shared:"), "\(line)")
    case "slave": #expect(!optional.contains("shared:"), "\(line)")
    default: #expect(!optional.contains("shared:") && !optional.contains("master:"), "\(line)")
    }
    // Nothing the container mounted propagated back to the host's (shared) rootfs mount.
    #expect(HullTestEnv.mounts(under: sb.rootfs) == [sb.rootfs], "container mounts leaked to the host")
  }

  @Test("an unknown rootfsPropagation is refused")
  func badPropagation() throws {
    let sb = try Sandbox("propagation-bad")
    defer { sb.cleanup() }
    sb.set("linux.rootfsPropagation", .string("sideways"))
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(result.status != 0 && result.stderr.contains("rootfsPropagation"), "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test("mounts apply in order: tmpfs (size, mode) then a read-only bind inside it")
  func mountsInOrder() throws {
    let sb = try Sandbox("mount-order")
    defer { sb.cleanup() }
    let hostDir = sb.dir + "/bind-source"
    try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
    try "from-host\n".write(toFile: hostDir + "/file", atomically: false, encoding: .utf8)
    sb.addMount(
      json: #"{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1m","mode=700"]}"#
    )
    sb.addMount(
      json: #"{"destination":"/tmp/deep/bound","type":"bind","source":"\#(hostDir)","options":["rbind","ro","nosuid"]}"#
    )
    sb.addMount(json: #"{"destination":"/home","type":"bind","source":"\#(hostDir)","options":["bind","rw"]}"#)
    sb.script(
      """
      cat /tmp/deep/bound/file
      touch /tmp/deep/bound/new 2>/dev/null && echo bind-writable
      touch /tmp/scratch && echo tmpfs-writable
      echo written > /home/from-container && echo home-writable
      cat /proc/self/mountinfo
      """)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.hasPrefix("from-host\n"), "the bind was hidden (wrong order?): \(result)")
    #expect(!result.stdout.contains("bind-writable"), "the ro bind is writable")
    #expect(result.stdout.contains("tmpfs-writable") && result.stdout.contains("home-writable"), "\(result)")
    #expect(readText(hostDir + "/from-container") == "written\n")
    let tmp = mountLine(result.stdout, "/tmp") ?? ""
    #expect(tmp.contains(" - tmpfs ") && tmp.contains("size=1024k") && tmp.contains("mode=700"), "\(tmp)")
    #expect(tmp.contains("nosuid") && tmp.contains("nodev"), "\(tmp)")
    let bound = mountLine(result.stdout, "/tmp/deep/bound") ?? ""
    #expect(bound.split(separator: " ")[5].hasPrefix("ro") && bound.contains("nosuid"), "\(bound)")
    // The tmpfs mount appears before the bind inside it.
    let points = result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(4).first }
    if let a = points.firstIndex(of: "/tmp"), let b = points.firstIndex(of: "/tmp/deep/bound") { #expect(a < b) }
    #expect(access(sb.rootfs + "/tmp/deep", F_OK) != 0, "the mount target was created on the host rootfs")
  }

  @Test("bind options: rro makes submounts read-only too, ro does not; propagation options on binds")
  func bindRecursiveAndPropagation() throws {
    let sb = try Sandbox("bind-options")
    defer { sb.cleanup() }
    let source = sb.dir + "/tree"
    try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
    // A submount of ours inside the bind source (removed with the sandbox).
    try #require(mount("tmpfs", source + "/sub", "tmpfs", 0, "size=1m") == 0)
    sb.addMount(json: #"{"destination":"/home","type":"bind","source":"\#(source)","options":["rbind","rro"]}"#)
    sb.addMount(
      json: #"{"destination":"/root","type":"bind","source":"\#(source)","options":["rbind","ro","rshared"]}"#)
    sb.addMount(json: #"{"destination":"/var","type":"bind","source":"\#(source)","options":["rbind","rprivate"]}"#)
    sb.script(
      """
      touch /home/sub/x 2>/dev/null && echo rro-sub-writable
      touch /root/sub/y 2>/dev/null && echo ro-sub-writable
      touch /root/z 2>/dev/null && echo ro-top-writable
      cat /proc/self/mountinfo
      """)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    // rro (mount_setattr with AT_RECURSIVE) reaches submounts too.
    #expect(!result.stdout.contains("rro-sub-writable"), "rro did not reach the submount: \(result)")
    #expect(
      mountLine(result.stdout, "/home")?.split(separator: " ")[5].hasPrefix("ro") == true, "rro left /home writable")
    #expect(result.stdout.contains("ro-sub-writable"), "plain ro should leave the submount writable: \(result)")
    #expect(!result.stdout.contains("ro-top-writable"))
    let shared = mountLine(result.stdout, "/root") ?? ""
    #expect(
      shared.split(separator: " ").dropFirst(6).prefix { $0 != "-" }.contains { $0.hasPrefix("shared:") }, "\(shared)")
    let priv = mountLine(result.stdout, "/var") ?? ""
    #expect(!priv.contains("shared:") && !priv.contains("master:"), "\(priv)")
  }

  @Test("proc, devpts (newinstance, ptmx), mqueue, sysfs, cgroup mounts")
  func specialFilesystems() throws {
    let sb = try Sandbox("special-fs")
    defer { sb.cleanup() }
    sb.script(
      """
      echo pid=$$
      cat /proc/self/mountinfo
      ls -l /dev/ptmx
      ls /sys/fs/cgroup
      """)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout.hasPrefix("pid=1\n"), "not pid 1 in its pid namespace: \(result)")
    #expect(mountLine(result.stdout, "/proc")?.contains(" - proc ") == true)
    let pts = mountLine(result.stdout, "/dev/pts") ?? ""
    #expect(pts.contains(" - devpts ") && pts.contains("ptmxmode=666") && pts.contains("gid=5"), "\(pts)")
    // A new devpts instance: not the host's (different device number).
    let hostPts = readText("/proc/self/mountinfo").split(separator: "\n").first { $0.contains(" - devpts ") }
    if let hostPts { #expect(hostPts.split(separator: " ")[2] != pts.split(separator: " ").dropFirst(2).first ?? "") }
    #expect(result.stdout.contains("ptmx -> pts/ptmx"), "\(result)")
    #expect(mountLine(result.stdout, "/dev/mqueue")?.contains(" - mqueue ") == true)
    let sys = mountLine(result.stdout, "/sys") ?? ""
    #expect(sys.contains(" - sysfs ") && sys.split(separator: " ")[5].hasPrefix("ro"), "\(sys)")
    #expect(result.stdout.contains("memory\n"), "cgroup hierarchies missing under /sys/fs/cgroup: \(result)")
  }

  @Test("default devices exist with the right numbers, and the /dev symlinks")
  func defaultDevices() throws {
    let sb = try Sandbox("devices")
    defer { sb.cleanup() }
    sb.script(
      "ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/fd /dev/stdin /dev/stdout /dev/stderr; echo x > /dev/null && head -c 4 /dev/zero | wc -c"
    )
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let expected: [String: (Int, Int)] = [
      "null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9), "tty": (5, 0),
    ]
    for (name, numbers) in expected {
      let line = result.stdout.split(separator: "\n").first { $0.hasSuffix("/dev/" + name) } ?? ""
      #expect(line.hasPrefix("crw-rw-rw-"), "\(name): \(line)")
      #expect(line.replacingOccurrences(of: " ", with: "").contains("\(numbers.0),\(numbers.1)"), "\(name): \(line)")
    }
    for (link, target) in [
      ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
      ("stderr", "/proc/self/fd/2"),
    ] {
      #expect(result.stdout.contains("/dev/\(link) -> \(target)"), "\(link): \(result)")
    }
    #expect(result.stdout.hasSuffix("4\n"))
  }

  @Test("linux.devices creates the node with its mode and owner, and the device cgroup allows it")
  func linuxDevices() throws {
    let sb = try Sandbox("linux-devices")
    defer { sb.cleanup() }
    sb.set(
      "linux.devices",
      json:
        #"[{"path": "/dev/hull-null", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 0}, {"path": "/dev/sub/fifo", "type": "p", "major": 1, "minor": 3}, {"path": "/dev/hull-zero", "type": "c", "major": 1, "minor": 5, "fileMode": 416, "uid": 1, "gid": 2}]"#
    )
    sb.script(
      "ls -ln /dev/hull-null; ls -l /dev/sub/fifo; ls -ln /dev/hull-zero; echo data > /dev/hull-null && echo write-ok")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let line = result.stdout.split(separator: "\n").first ?? ""
    #expect(line.hasPrefix("crw-------") && line.replacingOccurrences(of: " ", with: "").contains("1,3"), "\(result)")
    let owned = result.stdout.split(separator: "\n").first { $0.hasSuffix("/dev/hull-zero") } ?? ""
    #expect(
      owned.hasPrefix("crw-r-----") && owned.split(separator: " ")[2] == "1" && owned.split(separator: " ")[3] == "2",
      "\(owned)")
    #expect(result.stdout.contains("\np"), "fifo missing: \(result)")
    #expect(result.stdout.contains("write-ok"))
  }

  @Test("maskedPaths are empty or unreadable; readonlyPaths are not writable")
  func maskedAndReadonly() throws {
    let sb = try Sandbox("masked")
    defer { sb.cleanup() }
    var masked = sb.config["linux"]?["maskedPaths"]?.arrayValue ?? []
    masked += [.string("/etc/group"), .string("/no/such/path")]
    sb.set("linux.maskedPaths", .array(masked))
    sb.set("linux.readonlyPaths", json: #"["/proc/sys", "/proc/sysrq-trigger", "/no/such/readonly"]"#)
    sb.script(
      """
      echo kcore=$(cat /proc/kcore | wc -c)
      echo group=$(cat /etc/group | wc -c)
      echo firmware=$(ls /sys/firmware | wc -l)
      echo 1 > /proc/sys/net/ipv4/ip_forward && echo sys-writable
      cat /proc/self/mountinfo
      true
      """)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(
      result.stdout.contains("kcore=0\n") && result.stdout.contains("group=0\n")
        && result.stdout.contains("firmware=0\n"), "\(result)")
    #expect(!result.stdout.contains("sys-writable"), "\(result)")
    #expect(result.stderr.contains("Read-only file system"), "\(result)")
    #expect(mountLine(result.stdout, "/proc/sys")?.split(separator: " ")[5].hasPrefix("ro") == true, "\(result)")

    // Without readonlyPaths, /proc/sys is not read-only (the write then fails only for lack of CAP_NET_ADMIN).
    sb.set("linux.readonlyPaths", .array([]))
    sb.script("echo 1 > /proc/sys/net/ipv4/ip_forward; true")
    let writable = try sb.runContainer(sb.newID("rw"))
    #expect(writable.status == 0 && !writable.stderr.contains("Read-only file system"), "\(writable)")
  }

  @Test("hostname, domainname and sysctl (kernel.shmmax in the ipc ns, net.ipv4.ip_forward in the net ns)")
  func hostnameDomainSysctl() throws {
    let sb = try Sandbox("uts-sysctl")
    defer { sb.cleanup() }
    let hostForward = readText("/proc/sys/net/ipv4/ip_forward")
    let hostShmmax = readText("/proc/sys/kernel/shmmax")
    let hostHostname = readText("/proc/sys/kernel/hostname")
    sb.set("hostname", .string("hull-host"))
    sb.set("domainname", .string("hull.example"))
    sb.set("linux.readonlyPaths", .array([]))
    sb.set("linux.sysctl", json: #"{"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}"#)
    sb.script("hostname; cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    #expect(result.stdout == "hull-host\nhull.example\n1\n123456789\n", "\(result)")
    #expect(readText("/proc/sys/net/ipv4/ip_forward") == hostForward)
    #expect(readText("/proc/sys/kernel/shmmax") == hostShmmax)
    #expect(readText("/proc/sys/kernel/hostname") == hostHostname)

    // An unknown sysctl is an error that leaves nothing behind.
    sb.set("linux.sysctl", json: #"{"kernel.no_such_knob": "1"}"#)
    let id = sb.newID("bad")
    let bad = try sb.runContainer(id)
    #expect(bad.status != 0 && bad.stderr.contains("no_such_knob"), "\(bad)")
    sb.expectNothingLeft(id)
  }
}
