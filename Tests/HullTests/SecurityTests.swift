// Issue 4 items 5 and 6: the init's session keyring (--no-new-keyring), and regression tests
// that try known container escapes for real and show they fail: CVE-2024-21626 (a leaked host
// fd, or a cwd reached through /proc/self/fd), CVE-2021-30465 and other symlink-in-rootfs mount
// target escapes (with a second process racing a directory against a symlink), and writes to
// masked and read-only /proc and /sys paths.
import Foundation
import Glibc
import OCISpec
import Testing

enum SecurityHost {
  static let cc: String? = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { access($0, X_OK) == 0 }
  static let perl: String? = ["/usr/bin/perl", "/bin/perl"].first { access($0, X_OK) == 0 }
  static let isX86_64: Bool = {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } == "x86_64"
  }()
}

@Suite("security") struct SecurityTests {
  // MARK: session keyring

  /// A static probe that prints its session keyring: `session=<serial> desc=<type;uid;gid;perm;name>`.
  static let keyringProbe = #"""
    #include <stdio.h>
    #include <unistd.h>
    #include <sys/syscall.h>
    int main(void) {
      long id = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* KEY_SPEC_SESSION_KEYRING */, 0);
      if (id < 0) { perror("keyctl"); return 1; }
      char desc[256] = "";
      long n = syscall(SYS_keyctl, 6 /* KEYCTL_DESCRIBE */, id, desc, sizeof desc - 1);
      printf("session=%ld desc=%s\n", id, n > 0 ? desc : "?");
      return 0;
    }
    """#

  /// Builds the probe into the sandbox's shared directory, which the container sees at /tmp.
  static func buildKeyringProbe(_ sb: Sandbox) throws {
    try keyringProbe.write(toFile: sb.dir + "/keyprobe.c", atomically: true, encoding: .utf8)
    let build = try run(
      [SecurityHost.cc!, "-O2", "-static", "-o", sb.shared + "/keyprobe", sb.dir + "/keyprobe.c"],
      outputDir: sb.dir, timeout: 120)
    try #require(build.status == 0, "cannot build the probe: \(build)")
    sb.shareTmp()
  }

  @Test(
    "the init joins a session keyring of its own (_ses.<id>), or keeps the caller's with --no-new-keyring",
    .enabled(if: SecurityHost.cc != nil, "no C compiler (cc) to build the keyctl probe"))
  func sessionKeyring() throws {
    let sb = try Sandbox("keyring")
    defer { sb.cleanup() }
    try Self.buildKeyringProbe(sb)
    sb.set("process.args", jsonStrings(["/tmp/keyprobe"]))

    func serial(_ output: String) -> (serial: String, desc: String)? {
      guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("session=") }) else { return nil }
      let parts = line.split(separator: " ", maxSplits: 1)
      guard parts.count == 2 else { return nil }
      return (String(parts[0].dropFirst("session=".count)), String(parts[1].dropFirst("desc=".count)))
    }

    // What hull's caller has (hull is spawned exactly like this probe).
    let host = try run([sb.shared + "/keyprobe"], outputDir: sb.dir)
    let hostRing = try #require(serial(host.stdout), "\(host)")

    let firstID = sb.newID("new1")
    let first = try sb.runContainer(firstID)
    let second = try sb.runContainer(sb.newID("new2"))
    let kept = try sb.runContainer(sb.newID("kept"), extra: ["--no-new-keyring"])
    let a = try #require(serial(first.stdout), "\(first)")
    let b = try #require(serial(second.stdout), "\(second)")
    let c = try #require(serial(kept.stdout), "\(kept)")
    #expect(a.serial != hostRing.serial, "the container kept the caller's session keyring \(hostRing): \(first)")
    #expect(
      a.desc.hasPrefix("keyring;0;0;") && a.desc.hasSuffix(";_ses.\(firstID)"),
      "not the container's session keyring: \(a)")
    #expect(b.serial != a.serial && b.serial != hostRing.serial, "two containers share a session keyring: \(a) \(b)")
    #expect(
      c.serial == hostRing.serial,
      "--no-new-keyring: the container should keep the caller's keyring \(hostRing), got \(c)")

    // create + start takes the same path as run.
    sb.set("process.args", jsonStrings(["sh", "-c", "/tmp/keyprobe > /tmp/created.out"]))
    let id = sb.newID("created")
    _ = try sb.create(id, extra: ["--no-new-keyring"])
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    let created = sb.waitForFile(sb.shared + "/created.out") ?? ""
    #expect(serial(created)?.serial == hostRing.serial, "create --no-new-keyring: \(created) vs \(hostRing)")
  }

  @Test(
    "exec'd processes join the container's session keyring, not the caller's (kept with --no-new-keyring)",
    .enabled(if: SecurityHost.cc != nil, "no C compiler (cc) to build the keyctl probe"))
  func execSessionKeyring() throws {
    let sb = try Sandbox("exec-keyring")
    defer { sb.cleanup() }
    try Self.buildKeyringProbe(sb)
    sb.set("process.args", jsonStrings(["sh", "-c", "/tmp/keyprobe > /tmp/init-$(hostname).out; sleep 60"]))
    let host = try run([sb.shared + "/keyprobe"], outputDir: sb.dir).stdout
    for (suffix, extra) in [("own", [String]()), ("kept", ["--no-new-keyring"])] {
      let id = sb.newID(suffix)
      sb.set("hostname", .string(suffix))
      _ = try sb.create(id, extra: extra)
      #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
      let initRing = sb.waitForFile(sb.shared + "/init-\(suffix).out") ?? ""
      let exec = try sb.hull(["exec", id, "/tmp/keyprobe"], writeConfig: false)
      #expect(exec.status == 0, "\(exec)")
      let ring = { (text: String) in text.split(separator: " ").first.map(String.init) ?? "?" }
      #expect(
        !initRing.isEmpty && ring(exec.stdout) == ring(initRing), "\(suffix): exec \(exec.stdout) vs init \(initRing)")
      if suffix == "own" {
        #expect(
          ring(exec.stdout) != ring(host) && exec.stdout.contains(";_ses.\(id)"),
          "exec kept the caller's keyring: \(exec.stdout)")
      } else {
        #expect(
          ring(exec.stdout) == ring(host),
          "--no-new-keyring: exec should keep the caller's keyring \(host): \(exec.stdout)")
      }
      _ = try sb.hull(["delete", "--force", id], writeConfig: false)
    }
  }

  // MARK: CVE-2024-21626

  /// A host directory holding a marker file, and an O_PATH fd to it (not close-on-exec) for hull.
  static func hostSecret(_ sb: Sandbox) throws -> (dir: String, secret: String, fd: Int32) {
    let dir = sb.dir + "/host-secret"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let secret = "host-secret-\(getpid())-\(sb.name)"
    try secret.write(toFile: dir + "/marker", atomically: true, encoding: .utf8)
    // Close-on-exec here, so that only the hull it is handed to gets it (as fd 7, without the flag).
    let fd = open(dir, 0o10000000 /* O_PATH */ | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw TestFailure("open \(dir): \(String(cString: strerror(errno)))") }
    return (dir, secret, fd)
  }

  @Test("CVE-2024-21626: a caller's fd that is not close-on-exec is not reachable as /proc/self/fd/N inside")
  func leakedHostFd() throws {
    let sb = try Sandbox("cve-2024-21626-fd")
    defer { sb.cleanup() }
    let host = try Self.hostSecret(sb)
    defer { close(host.fd) }
    sb.script(
      """
      cat /proc/self/fd/7/marker 2>&1 || echo no-fd-7
      ls /proc/self/fd/7/ 2>&1 || echo no-dir-7
      cat /proc/1/fd/7/marker 2>&1 || echo init-has-no-fd-7
      echo fds-of-init:
      ls /proc/1/fd
      true
      """)
    let result = try sb.hull(["run", "--bundle", sb.bundle, sb.newID()], fds: [(host.fd, 7)])
    #expect(result.status == 0, "\(result)")
    #expect(!result.stdout.contains(host.secret), "the host fd leaked in: \(result)")
    #expect(result.stdout.contains("no-fd-7") && result.stdout.contains("init-has-no-fd-7"), "\(result)")
    // The init (the shell) holds only stdio.
    let fdList = result.stdout.components(separatedBy: "fds-of-init:\n").last?.split(separator: "\n") ?? []
    #expect(fdList == ["0", "1", "2"], "fds of the container's init: \(result)")
  }

  @Test("CVE-2024-21626: process.cwd through /proc/self/fd/N never lands outside the rootfs (run)")
  func procFdCwdRun() throws {
    let sb = try Sandbox("cve-2024-21626-cwd")
    defer { sb.cleanup() }
    let host = try Self.hostSecret(sb)
    defer { close(host.fd) }
    sb.script("pwd; ls; cat marker 2>&1; cat ../marker 2>&1; echo done")
    // 7 is the caller's leaked fd; 3...12 are where hull's own descriptors would be.
    var outcomes: [String] = []
    for n in [7] + Array(3...12) {
      sb.set("process.cwd", .string("/proc/self/fd/\(n)"))
      let result = try sb.hull(["run", "--bundle", sb.bundle, sb.newID("fd\(n)")], fds: [(host.fd, 7)])
      outcomes.append("fd \(n): status \(result.status)")
      #expect(
        !result.stdout.contains(host.secret) && !result.stdout.split(separator: "\n").contains("marker"),
        "cwd /proc/self/fd/\(n) reached the host: \(result)")
      #expect(
        !result.stdout.contains("(unreachable)"), "cwd /proc/self/fd/\(n) is outside the container's root: \(result)")
      if result.status != 0 {
        #expect(result.stderr.contains("/proc/self/fd/\(n)"), "the error should name the cwd: \(result)")
      }
    }
    // The host directory was only ever read through the test's own fd.
    #expect(try FileManager.default.contentsOfDirectory(atPath: host.dir) == ["marker"], "\(outcomes)")
  }

  @Test("CVE-2024-21626: exec --cwd through /proc/self/fd/N never lands outside the rootfs")
  func procFdCwdExec() throws {
    let sb = try Sandbox("cve-2024-21626-exec")
    defer { sb.cleanup() }
    let host = try Self.hostSecret(sb)
    defer { close(host.fd) }
    sb.set("process.args", jsonStrings(["sleep", "60"]))
    let id = sb.newID()
    let started = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    try #require(started.status == 0, "\(started)")
    for n in [7] + Array(3...12) {
      let result = try sb.hull(
        [
          "exec", "--cwd", "/proc/self/fd/\(n)", id, "sh", "-c",
          "pwd; ls; cat marker 2>&1; cat ../marker 2>&1; echo done",
        ], fds: [(host.fd, 7)])
      #expect(
        !result.stdout.contains(host.secret) && !result.stdout.split(separator: "\n").contains("marker"),
        "exec --cwd /proc/self/fd/\(n) reached the host: \(result)")
      #expect(
        !result.stdout.contains("(unreachable)"),
        "exec --cwd /proc/self/fd/\(n) is outside the container's root: \(result)")
      if result.status != 0 {
        #expect(result.stderr.contains("/proc/self/fd/\(n)"), "the error should name the cwd: \(result)")
      }
    }
    // The leaked fd is closed before chdir (issue 14 item 1): refused, naming the cwd.
    let leaked = try sb.hull(["exec", "--cwd", "/proc/self/fd/7", id, "true"], fds: [(host.fd, 7)])
    #expect(leaked.status != 0 && leaked.stderr.contains("chdir /proc/self/fd/7"), "\(leaked)")
    // The same through a process JSON, as containerd sends it.
    let processFile = sb.dir + "/process.json"
    try
      #"{"args": ["sh", "-c", "pwd; ls; cat marker 2>&1"], "cwd": "/proc/self/fd/7", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}"#
      .write(toFile: processFile, atomically: true, encoding: .utf8)
    let viaFile = try sb.hull(["exec", "--process", processFile, id], fds: [(host.fd, 7)])
    #expect(!viaFile.stdout.contains(host.secret) && !viaFile.stdout.contains("(unreachable)"), "\(viaFile)")
    #expect(sb.status(id) == "running")
  }

  // MARK: CVE-2021-30465 and symlink escapes

  /// A copied rootfs and an empty host directory that symlinks in the rootfs point at.
  static func escapeSetup(_ name: String) throws -> (sb: Sandbox, target: String) {
    let sb = try Sandbox(name, rootfs: .copy)
    let target = sb.dir + "/host-target"
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    try "bind source\n".write(toFile: sb.dir + "/bind-source", atomically: true, encoding: .utf8)
    return (sb, target)
  }

  /// The host directory is still empty and nothing is mounted on or below it (in the test's namespace).
  static func expectUntouched(
    _ target: String, _ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? ["<unreadable>"]
    #expect(
      entries.isEmpty, "the host directory \(target) was written to: \(entries); \(context())",
      sourceLocation: sourceLocation)
    let mounts = HullTestEnv.mounts(under: target)
    #expect(mounts.isEmpty, "mounts on the host path: \(mounts); \(context())", sourceLocation: sourceLocation)
  }

  /// Mount points of the container's own mountinfo (printed by the script).
  static func mountPoints(_ text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ")
      return fields.count > 4 && fields.contains("-") ? String(fields[4]) : nil
    }
  }

  @Test(
    "symlinks in the rootfs that point out of it (absolute, relative, chained, via ..) never take a mount to the host")
  func symlinkMountTargets() throws {
    let (sb, target) = try Self.escapeSetup("symlink-escape")
    defer { sb.cleanup() }
    let fm = FileManager.default
    let up = String(repeating: "../", count: 12)
    try fm.createSymbolicLink(atPath: sb.rootfs + "/escape-abs", withDestinationPath: target)
    try fm.createSymbolicLink(atPath: sb.rootfs + "/escape-rel", withDestinationPath: up + String(target.dropFirst()))
    try fm.createSymbolicLink(atPath: sb.rootfs + "/chain", withDestinationPath: "escape-rel/sub")
    try fm.createSymbolicLink(atPath: sb.rootfs + "/etc/dotdot", withDestinationPath: String(up.dropLast()))
    let cases: [(String, String)] = [
      ("abs", #"{"destination": "/escape-abs", "type": "tmpfs", "source": "tmpfs"}"#),
      ("abs-deep", #"{"destination": "/escape-abs/sub/deep", "type": "tmpfs", "source": "tmpfs"}"#),
      (
        "rel-file",
        #"{"destination": "/escape-rel/file", "type": "bind", "source": "\#(sb.dir)/bind-source", "options": ["bind"]}"#
      ),
      ("chain", #"{"destination": "/chain/x", "type": "tmpfs", "source": "tmpfs"}"#),
      ("dotdot-link", #"{"destination": "/etc/dotdot\#(target)/y", "type": "tmpfs", "source": "tmpfs"}"#),
      ("dotdot-path", #"{"destination": "/../../../..\#(target)/z", "type": "tmpfs", "source": "tmpfs"}"#),
    ]
    sb.script("cat /proc/self/mountinfo")
    let scripted = sb.config
    for (name, mount) in cases {
      sb.config = scripted
      sb.addMount(json: mount)
      let result = try sb.runContainer(sb.newID(name))
      // Refusing (the target does not resolve inside the rootfs) and mounting inside are both fine.
      Self.expectUntouched(target, "case \(name): \(result)")
    }

    // With the symlink's target also present inside the rootfs, the mounts succeed, inside.
    try fm.createDirectory(atPath: sb.rootfs + target, withIntermediateDirectories: true)
    for (name, mount) in cases.prefix(2) {
      sb.config = scripted
      sb.addMount(json: mount)
      let result = try sb.runContainer(sb.newID("inside-" + name))
      #expect(result.status == 0, "case \(name): \(result)")
      let expected = name == "abs" ? target : target + "/sub/deep"
      #expect(
        Self.mountPoints(result.stdout).contains(expected),
        "case \(name): the mount is not inside the container: \(result)")
      Self.expectUntouched(target, "case inside-\(name): \(result)")
    }
    #expect(fm.fileExists(atPath: sb.rootfs + target + "/sub/deep"), "the directories were created inside the rootfs")
  }

  @Test(
    "CVE-2021-30465: a second process swapping a directory and a symlink to the host never gets a mount onto the host",
    .enabled(
      if: SecurityHost.perl != nil && SecurityHost.isX86_64, "needs perl and x86_64 (renameat2 by syscall number)"))
  func symlinkExchangeRace() throws {
    let (sb, target) = try Self.escapeSetup("cve-2021-30465")
    defer { sb.cleanup() }
    let fm = FileManager.default
    // `race` flips between a real directory and a symlink to the host directory (absolute,
    // and relative through ..): renameat2(RENAME_EXCHANGE) in a tight loop, never absent.
    try fm.createDirectory(atPath: sb.rootfs + "/race", withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: sb.rootfs + "/race-link", withDestinationPath: target)
    try fm.createDirectory(atPath: sb.rootfs + "/race2", withIntermediateDirectories: true)
    try fm.createSymbolicLink(
      atPath: sb.rootfs + "/race2-link",
      withDestinationPath: String(repeating: "../", count: 12) + String(target.dropFirst()))
    // The symlink also resolves inside the rootfs (to this mirror), so that mounts succeed often.
    try fm.createDirectory(atPath: sb.rootfs + target, withIntermediateDirectories: true)
    sb.addMount(json: #"{"destination": "/race/sub/deep", "type": "tmpfs", "source": "tmpfs"}"#)
    sb.addMount(
      json: #"{"destination": "/race/file", "type": "bind", "source": "\#(sb.dir)/bind-source", "options": ["bind"]}"#)
    sb.addMount(json: #"{"destination": "/race2", "type": "tmpfs", "source": "tmpfs"}"#)
    sb.script("cat /proc/self/mountinfo")

    let racer = try spawn(
      [
        SecurityHost.perl!, "-e",
        """
        my ($a, $b, $c, $d) = @ARGV;
        while (1) { syscall(316, -100, $a, -100, $b, 2); syscall(316, -100, $c, -100, $d, 2); }
        """, sb.rootfs + "/race", sb.rootfs + "/race-link", sb.rootfs + "/race2", sb.rootfs + "/race2-link",
      ],
      outputDir: sb.dir, timeout: 300)
    defer {
      kill(racer.pid, SIGKILL)
      _ = racer.wait()
    }
    usleep(50_000)
    try #require(racer.isRunning, "the racer did not start: \(racer.wait())")

    var ran = 0
    var refused: [String] = []
    for i in 0..<40 {
      let result = try sb.runContainer(sb.newID("r\(i)"))
      if result.status == 0 {
        ran += 1
        let points = Self.mountPoints(result.stdout)
        #expect(
          points.contains { $0.hasSuffix("/sub/deep") }, "run \(i): the tmpfs is not inside the container: \(result)")
      } else {
        refused.append(result.stderr.split(separator: "\n").last.map(String.init) ?? "")
      }
      Self.expectUntouched(target, "run \(i): \(result)")
    }
    #expect(racer.isRunning, "the racer stopped early")
    kill(racer.pid, SIGKILL)
    _ = racer.wait()
    Self.expectUntouched(target, "after the race")
    #expect(ran > 0, "no container ran at all while racing (refusals: \(Set(refused)))")
    // Whatever was created, was created inside the rootfs.
    let mirror = (try? fm.contentsOfDirectory(atPath: sb.rootfs + target)) ?? []
    #expect(Set(mirror).isSubset(of: ["sub", "file"]), "\(mirror)")
  }

  // MARK: masked and read-only paths

  @Test("writes to masked and read-only /proc and /sys paths fail, and the masks cannot be removed")
  func maskedAndReadonlyWrites() throws {
    let sb = try Sandbox("masked-writes")
    defer { sb.cleanup() }
    // The busybox config's maskedPaths and readonlyPaths (runc's defaults). DAC_OVERRIDE,
    // NET_ADMIN and SYS_RAWIO so that a refusal comes from the mounts, not from missing
    // privileges; no SYS_ADMIN (which may unmount anything in its own mount namespace).
    let caps = jsonStrings([
      "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_DAC_OVERRIDE", "CAP_NET_ADMIN", "CAP_SYS_RAWIO",
    ])
    for set in ["bounding", "effective", "permitted"] { sb.set("process.capabilities.\(set)", caps) }
    sb.set("process.capabilities.ambient", nil)
    let masked = sb.config["linux"]?["maskedPaths"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let readonly = sb.config["linux"]?["readonlyPaths"]?.arrayValue?.compactMap(\.stringValue) ?? []
    try #require(
      masked.contains("/proc/kcore") && masked.contains("/sys/firmware") && readonly.contains("/proc/sys")
        && readonly.contains("/proc/sysrq-trigger"), "the busybox config changed: \(masked) \(readonly)")

    // Checks for what exists on this kernel (the container's /proc and /sys show the same
    // kernel): name, shell test, whether it must succeed.
    var checks: [(name: String, test: String, succeeds: Bool)] = []
    func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
    func isDirectory(_ path: String) -> Bool {
      var isDir: ObjCBool = false
      return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
    for path in masked where exists(path) {
      if isDirectory(path) {
        checks.append(("mask-create:\(path)", "touch \(path)/hull-x", false))
        checks.append(("mask-empty:\(path)", #"[ -z "$(ls -A \#(path))" ]"#, true))
      } else {
        checks.append(("mask-null:\(path)", #"[ "$(stat -c %t:%T \#(path))" = 1:3 ]"#, true))
        checks.append(("mask-read:\(path)", #"[ $(cat \#(path) | wc -c) -gt 0 ]"#, false))
      }
      checks.append(("mask-umount:\(path)", "umount \(path)", false))
    }
    for path in readonly where exists(path) {
      checks.append(
        ("ro-mount:\(path)", #"grep " \#(path) " /proc/self/mountinfo | cut -d" " -f6 | grep -q "^ro""#, true))
      checks.append(("ro-umount:\(path)", "umount \(path)", false))
      checks.append(("ro-remount:\(path)", "mount -o remount,bind,rw \(path)", false))
    }
    // Real writes (harmless if they went through: namespaced knobs, or the value already there).
    if exists("/proc/sysrq-trigger") { checks.append(("write-sysrq", #"printf " " > /proc/sysrq-trigger"#, false)) }
    checks.append(("write-sysctl-net", "echo 1 > /proc/sys/net/ipv4/ip_forward", false))
    checks.append(("write-sysctl-uts", "echo hull-x > /proc/sys/kernel/hostname", false))
    if exists("/proc/irq/default_smp_affinity") {
      checks.append(
        ("write-irq", "v=$(cat /proc/irq/default_smp_affinity) && echo $v > /proc/irq/default_smp_affinity", false))
    }
    if exists("/sys/kernel/mm/ksm/run") {
      checks.append(("write-sys", "v=$(cat /sys/kernel/mm/ksm/run) && echo $v > /sys/kernel/mm/ksm/run", false))
    }
    checks.append(("mount-proc", "mkdir -p /dev/p && mount -t proc proc /dev/p", false))
    checks.append(("mount-sysfs", "mkdir -p /dev/s && mount -t sysfs sysfs /dev/s", false))

    var script = #"try() { if sh -c "$2"; then echo "$1=ok"; else echo "$1=fail"; fi; }"# + "\n"
    for check in checks {
      script += "try '\(check.name)' '\(check.test.replacingOccurrences(of: "'", with: #"'\''"#))'\n"
    }
    sb.script(script)
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0, "\(result)")
    let lines = Set(result.stdout.split(separator: "\n").map(String.init))
    for check in checks {
      let expected = "\(check.name)=\(check.succeeds ? "ok" : "fail")"
      #expect(lines.contains(expected), "expected \(expected) (`\(check.test)`): \(result)")
    }
    #expect(result.stderr.contains("Read-only file system"), "\(result)")
    #expect(readText("/proc/sys/kernel/hostname") != "hull-x\n")

    // A masked file takes writes into /dev/null: /proc/sys/kernel/domainname, masked with
    // /proc/sys left writable, still reads as empty after a write.
    sb.set("linux.maskedPaths", jsonStrings(masked + ["/proc/sys/kernel/domainname"]))
    sb.set("linux.readonlyPaths", .array([]))
    sb.set("domainname", .string("hull.example"))
    sb.script(
      #"stat -c %t:%T /proc/sys/kernel/domainname; echo evil > /proc/sys/kernel/domainname && echo written; echo "[$(cat /proc/sys/kernel/domainname)]"; umount /proc/sys/kernel/domainname 2>/dev/null && echo unmasked; true"#
    )
    let maskedRun = try sb.runContainer(sb.newID("masked-file"))
    #expect(maskedRun.status == 0 && maskedRun.stdout == "1:3\nwritten\n[]\n", "\(maskedRun)")
  }
}
