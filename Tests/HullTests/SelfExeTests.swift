// Issue 4 item 6: CVE-2019-5736. A process in the container gets the kernel to run the
// runtime's own binary inside the container (`hull exec c /proc/self/exe …`, which is what a
// `#!/proc/self/exe` entry point does), holds /proc/<pid>/exe open while it runs, and once it
// has exited tries to write the binary through that fd. hull must have re-executed itself
// from a read-only view of its binary, so the write fails with EROFS and the binary is intact.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("CVE-2019-5736") struct SelfExeTests {
  /// pid 1 of the container: waits for a process that is not busybox, holds its exe, lets it
  /// go (by feeding the FIFO it blocks on), waits for it to exit, then tries to write.
  static let attacker = #"""
    while :; do
      for p in /proc/[0-9]*; do
        n=${p#/proc/}
        [ "$n" = 1 ] && continue
        t=$(readlink $p/exe 2>/dev/null) || continue
        case "$t" in ""|/bin/busybox) continue ;; esac
        exec 4<$p/exe || continue
        echo "$t" > /tmp/held
        echo '{}' > /tmp/bundle/config.json
        while [ -d $p ]; do sleep 0.05; done
        tries=0
        while ! echo PWNED 2>/tmp/write-error 1<>/proc/self/fd/4; do
          # ETXTBSY while the outer hull exec still runs the same binary: wait for it.
          if grep -q busy /tmp/write-error && [ $tries -lt 100 ]; then tries=$((tries+1)); sleep 0.05; continue; fi
          echo "refused: $(cat /tmp/write-error)" > /tmp/result
          exit 0
        done
        echo written > /tmp/result
        exit 0
      done
      sleep 0.05
    done
    """#

  @Test("the hull binary cannot be overwritten through /proc/<pid>/exe of a hull process run inside the container")
  func selfExeIsReadOnly() throws {
    let box = try Sandbox("cve-2019-5736", rootfs: .copy)
    defer { box.cleanup() }
    // A hull built without -static-executable (the debug build) needs the host's libraries
    // inside the container to run there, as an attacker's image would provide.
    for (link, target) in [("lib", "usr/lib"), ("lib64", "usr/lib64")] where access("/" + link, F_OK) == 0 {
      _ = symlink(target, box.rootfs + "/" + link)
    }
    for dir in ["/usr/lib", "/usr/lib64", "/opt/swift"] where access(dir, F_OK) == 0 {
      box.addMount(json: #"{"destination":"\#(dir)","type":"bind","source":"\#(dir)","options":["rbind","ro"]}"#)
    }
    // A copy of hull of this test's own: only this test runs it, so an unprotected binary
    // would be writable (no ETXTBSY from other tests) and the damage stays here.
    let copy = box.dir + "/hull-copy"
    // cp, not FileManager: a write fd of ours could leak into a parallel test's spawn (ETXTBSY).
    let cp = try run(["/bin/cp", HullTestEnv.hullPath, copy], outputDir: box.dir)
    guard cp.status == 0 else { throw TestFailure("copy hull: \(cp)") }
    let original = try Data(contentsOf: URL(fileURLWithPath: copy))
    try FileManager.default.createDirectory(atPath: box.shared + "/bundle", withIntermediateDirectories: true)
    guard mkfifo(box.shared + "/bundle/config.json", 0o600) == 0 else {
      throw TestFailure("mkfifo: \(String(cString: strerror(errno)))")
    }
    box.shareTmp()
    box.script(Self.attacker)
    try box.writeConfig()
    let id = box.newID()
    func hullCopy(_ args: [String]) throws -> Spawned {
      try spawn([copy, "--root", box.root] + args, outputDir: box.dir, timeout: 30)
    }
    let create = try hullCopy(["create", "--bundle", box.bundle, id]).wait()
    #expect(create.status == 0, "\(create)")
    #expect(try hullCopy(["start", id]).wait().status == 0)
    // The runtime's binary, run inside the container, blocks reading a FIFO until the attacker has its exe.
    let trigger = try hullCopy([
      "exec", id, "/proc/self/exe", "--root", "/tmp/state", "create", "--bundle", "/tmp/bundle", "x",
    ])
    let result = box.waitForFile(box.shared + "/result", seconds: 20)
    let triggered = trigger.wait()
    _ = try hullCopy(["delete", "--force", id]).wait()
    let held = readText(box.shared + "/held")
    #expect(!held.isEmpty, "the attacker never caught a hull process inside the container: \(triggered)")
    #expect(
      result?.hasPrefix("refused:") == true && result?.contains("Read-only file system") == true,
      "writing the runtime binary through /proc/<pid>/exe (held: \(held)) gave: \(result ?? "no result")")
    #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == original, "the hull binary was modified")
    box.expectNothingLeft(id)
  }

  @Test("the init waiting between create and start runs hull from a read-only mount of its binary")
  func waitingInitExeIsReadOnly() throws {
    let box = try Sandbox("self-exe-init")
    defer { box.cleanup() }
    box.script("exit 0")
    let id = box.newID()
    _ = try box.create(id)
    let pid = try box.pid(id)
    var info = statvfs()
    #expect(statvfs("/proc/\(pid)/exe", &info) == 0)
    #expect(info.f_flag & UInt(ST_RDONLY) != 0, "the waiting init's exe is on a writable mount")
    #expect(access("/proc/\(pid)/exe", W_OK) != 0 && errno == EROFS)
    _ = try box.hull(["delete", "--force", id], writeConfig: false)
    box.expectNothingLeft(id)
  }
}
