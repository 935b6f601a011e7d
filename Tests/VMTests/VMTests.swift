// drydock vm on the real machine: a Debian kernel under qemu (KVM when it boots, else TCG), each cgroup mode
// mounted as asked, the command's output and exit status carried back, --out written through, nothing left
// running. Skipped with the reason where qemu or a guest kernel is missing.
import DrydockKit
import Foundation
import Testing
@testable import VMHost

@Suite(.serialized) struct VMTests {
  static let unavailable: String? = {
    if getuid() != 0 { return "needs root" }
    if HostInfo.resolveExecutable("qemu-system-x86_64") == nil { return "qemu-system-x86_64 is not installed" }
    do { _ = try GuestKernel.find() } catch { return "\(error)" }
    return nil
  }()

  final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func add(_ s: String) { lock.lock(); text += s; lock.unlock() }
    var value: String { lock.lock(); defer { lock.unlock() }; return text }
  }

  func run(_ script: String, cgroup: GuestCgroupMode, out: String? = nil) throws -> (VMResult, String) {
    var options = VMOptions()
    options.cgroup = cgroup
    options.memoryMiB = 1024
    options.timeoutSeconds = 600
    options.outDirectory = out
    options.workingDirectory = "/"
    let collected = Collected()
    let result = try VirtualMachine.run(["/bin/sh", "-c", script], options: options, output: { collected.add($0) })
    return (result, collected.value)
  }

  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func v2GuestRunsTheCommandAndCarriesItsStatusAndFiles() throws {
    let out = NSTemporaryDirectory() + "drydock-vm-test-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let (result, text) = try run("""
      cat /sys/fs/cgroup/cgroup.controllers; cat /sys/fs/cgroup/cgroup.subtree_control
      uname -r; echo "accel=$DRYDOCK_VM_ACCEL"; echo written > \(out)/from-guest; touch /etc/drydock-vm-test; exit 7
      """, cgroup: .v2, out: out)
    #expect(result.exitStatus == 7, "\(text)")
    let lines = text.split(separator: "\n").map(String.init)
    // Every controller the guest kernel has is enabled for children: the layout of a systemd v2 host.
    #expect(lines.count >= 4 && lines[0].contains("memory") && lines[0].contains("pids") && lines[0] == lines[1], "\(text)")
    #expect(lines.contains(result.kernel.release))
    #expect(lines.contains("accel=\(result.accelerator.rawValue)"))
    #expect((try? String(contentsOfFile: out + "/from-guest", encoding: .utf8)) == "written\n")
    // The host's own files are untouched: the guest wrote to its overlay.
    #expect(!FileManager.default.fileExists(atPath: "/etc/drydock-vm-test"))
    // Nothing left running.
    let ps = try ProcessRunner.run(["pgrep", "-f", "drydock.out=" + out], timeout: 5)
    #expect(ps.stdoutText.isEmpty, "qemu left running: \(ps.stdoutText)")
  }

  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func hybridGuestMountsV1ControllersAndAnEmptyUnifiedHierarchy() throws {
    let (result, text) = try run("""
      for c in memory pids cpu; do test -e /sys/fs/cgroup/$c/cgroup.procs && echo v1:$c; done
      test -e /sys/fs/cgroup/unified/cgroup.procs && echo unified; echo "[$(cat /sys/fs/cgroup/unified/cgroup.controllers)]"
      """, cgroup: .hybrid)
    #expect(result.exitStatus == 0, "\(text)")
    for expected in ["v1:memory", "v1:pids", "v1:cpu", "unified", "[]"] { #expect(text.contains(expected), "\(text)") }
  }

  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func timeoutKillsTheGuest() throws {
    var options = VMOptions()
    options.timeoutSeconds = 25
    options.memoryMiB = 512
    options.workingDirectory = "/"
    #expect(throws: DrydockKitError.self) {
      _ = try VirtualMachine.run(["/bin/sleep", "600"], options: options, output: { _ in })
    }
  }

  /// The fresh-machine case of scripts/setup, for real: a hybrid host whose hugetlb sits on cgroup2 (a fresh Debian
  /// host: crun 1.8 then refuses every container); setup binds it to v1, proves crun runs, and a second run is a no-op.
  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func setupRepairsAHybridHostWithHugetlbOnCgroup2() throws {
    let repository = try #require(BundleFactory.repositoryRoot())
    let (result, text) = try run("""
      umount /sys/fs/cgroup/hugetlb || exit 90
      grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || exit 91
      mkdir -p /tmp/cb && \(repository)/bundles/make-rootfs /tmp/cb/rootfs >/dev/null
      jq '.root.path="/tmp/cb/rootfs" | .process.args=["true"] | .process.terminal=false | .linux.cgroupsPath="/fresh/c"' \
        \(repository)/bundles/busybox/config.json > /tmp/cb/config.json
      crun --root /tmp/cr run -b /tmp/cb before && exit 92
      \(repository)/scripts/setup || exit 93
      grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers && exit 94
      crun --root /tmp/cr run -b /tmp/cb after || exit 95
      \(repository)/scripts/setup | grep -q "binding hugetlb" && exit 96
      echo repaired
      """, cgroup: .hybrid)
    #expect(result.exitStatus == 0 && text.contains("repaired"), "exit \(result.exitStatus): \(text)")
    #expect(text.contains("setup: hybrid cgroup host with hugetlb on cgroup2: binding hugetlb to v1"), "\(text)")
  }

  @Test func kernelCommandLineMatchesTheMode() {
    var options = VMOptions()
    options.cgroup = .v2
    #expect(VirtualMachine.kernelCommandLine(options, work: "/w").contains("cgroup_no_v1=all"))
    options.cgroup = .hybrid
    let hybrid = VirtualMachine.kernelCommandLine(options, work: "/w")
    #expect(hybrid.contains("systemd.unified_cgroup_hierarchy=0") && !hybrid.contains("cgroup_no_v1"))
    #expect(VirtualMachine.runScript(["echo", "it's"], options: options, accelerator: .tcg).contains("exec 'echo' 'it'\\''s'"))
  }
}
