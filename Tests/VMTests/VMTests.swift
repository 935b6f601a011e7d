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
    func add(_ s: String) {
      lock.lock()
      text += s
      lock.unlock()
    }
    var value: String {
      lock.lock()
      defer { lock.unlock() }
      return text
    }
  }

  func run(_ script: String, cgroup: GuestCgroupMode, initSystem: GuestInit = .none, out: String? = nil) throws -> (
    VMResult, String
  ) {
    var options = VMOptions()
    options.cgroup = cgroup
    options.initSystem = initSystem
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
    let (result, text) = try run(
      """
      cat /sys/fs/cgroup/cgroup.controllers; cat /sys/fs/cgroup/cgroup.subtree_control
      uname -r; echo "accel=$DRYDOCK_VM_ACCEL"; echo written > \(out)/from-guest; touch /etc/drydock-vm-test; exit 7
      """, cgroup: .v2, out: out)
    #expect(result.exitStatus == 7, "\(text)")
    let lines = text.split(separator: "\n").map(String.init)
    // Every controller the guest kernel has is enabled for children: the layout of a systemd v2 host.
    #expect(
      lines.count >= 4 && lines[0].contains("memory") && lines[0].contains("pids") && lines[0] == lines[1], "\(text)")
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
    let (result, text) = try run(
      """
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
    let error = #expect(throws: HarnessError.self) {
      _ = try VirtualMachine.run(["/bin/sleep", "600"], options: options, output: { _ in })
    }
    #expect(error?.domain == .kit)
  }

  /// The fresh-machine case of scripts/setup, for real: a hybrid host whose hugetlb sits on cgroup2 (a fresh Debian
  /// host: crun 1.8 then refuses every container); setup binds it to v1, proves crun runs, and a second run is a no-op.
  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func setupRepairsAHybridHostWithHugetlbOnCgroup2() throws {
    let repository = try #require(BundleFactory.repositoryRoot())
    let (result, text) = try run(
      """
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

  /// runc's systemd driver in a guest whose PID 1 is systemd: the script of both systemd tests. It creates
  /// system.slice:drydock:<id>, prints the scope's properties and the container's cgroup, deletes it, and prints
  /// whether the scope is gone.
  static func runcSystemdScript(repository: String, id: String) -> String {
    """
    b=/tmp/\(id); mkdir -p $b && \(repository)/bundles/make-rootfs $b/rootfs >/dev/null || exit 80
    jq '.root.path="'$b'/rootfs" | .process.args=["sleep","600"] | .linux.cgroupsPath="system.slice:drydock:\(id)"
        | .linux.resources={"memory":{"limit":67108864},"pids":{"limit":99}}' \(repository)/bundles/busybox/config.json > $b/config.json
    runc --root $b/state --systemd-cgroup run -d -b $b \(id) </dev/null >/dev/null 2>$b/err || { cat $b/err; exit 81; }
    echo "scope: $(systemctl show -p ActiveState -p Delegate -p TasksMax drydock-\(id).scope | sort | tr '\n' ' ')"
    pid=$(runc --root $b/state state \(id) | jq .pid)
    echo "container: $(grep -E '^0::|memory' /proc/$pid/cgroup | tr '\n' ' ')"
    runc --root $b/state delete --force \(id) || exit 82
    systemctl is-active drydock-\(id).scope >/dev/null 2>&1 && echo "scope left" || echo "scope gone"
    """
  }

  /// --init systemd: the host's systemd is PID 1 of a v2 guest, booted into journald and dbus only (none of the host's
  /// enabled services), the system running; runc's systemd driver makes its scope through the bus; the command's
  /// output still arrives byte for byte and its status is carried back.
  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func systemdGuestBootsSystemdAsPidOneAndRuncMakesAScope() throws {
    let repository = try #require(BundleFactory.repositoryRoot())
    let id = "vmtest-sd-\(getpid())"
    let (result, text) = try run(
      """
      echo "pid1: $(cat /proc/1/comm)"; echo "state: $(systemctl is-system-running)"; echo "init: $DRYDOCK_VM_INIT"
      echo "fs: $(stat -fc %T /sys/fs/cgroup)"; echo "self: $(cat /proc/self/cgroup)"
      for unit in dbus.service systemd-journald.service; do echo "$unit $(systemctl is-active $unit)"; done
      for unit in docker.service containerd.service docker.socket systemd-udevd.service getty@tty1.service apt-daily.timer; do
        echo "$unit $(systemctl is-active $unit)"
      done
      printf 'raw\nbytes\n'
      \(Self.runcSystemdScript(repository: repository, id: id))
      exit 9
      """, cgroup: .v2, initSystem: .systemd)
    #expect(result.exitStatus == 9, "\(text)")
    #expect(text.contains("pid1: systemd\n"), "\(text)")
    // degraded would name a failed unit: the minimal target has none to fail.
    #expect(text.contains("state: running\n"), "\(text)")
    #expect(text.contains("init: systemd\n") && text.contains("fs: cgroup2fs\n"), "\(text)")
    #expect(text.contains("self: 0::/system.slice/drydock-command.service\n"), "\(text)")
    for unit in ["dbus.service", "systemd-journald.service"] { #expect(text.contains("\(unit) active\n"), "\(text)") }
    for unit in [
      "docker.service", "containerd.service", "docker.socket", "systemd-udevd.service", "getty@tty1.service",
      "apt-daily.timer",
    ] {
      #expect(text.contains("\(unit) inactive\n"), "the host's \(unit) started in the guest: \(text)")
    }
    // No CR/LF translation even though systemd reset the console.
    #expect(text.contains("raw\nbytes\n") && !text.contains("\r"), "\(text)")
    #expect(text.contains("scope: ActiveState=active Delegate=yes TasksMax=99 "), "\(text)")
    #expect(text.contains("container: 0::/system.slice/drydock-\(id).scope "), "\(text)")
    #expect(text.contains("scope gone"), "\(text)")
  }

  /// --init systemd with --cgroup hybrid: systemd mounts its hybrid layout (v1 controllers, name=systemd, an empty
  /// unified hierarchy) and runc's systemd driver puts the container in the scope of every v1 controller.
  @Test(.enabled(if: unavailable == nil, Comment(rawValue: unavailable ?? "")))
  func systemdHybridGuestMountsSystemdsLayout() throws {
    let repository = try #require(BundleFactory.repositoryRoot())
    let id = "vmtest-sdh-\(getpid())"
    let (result, text) = try run(
      """
      echo "pid1: $(cat /proc/1/comm)"; echo "state: $(systemctl is-system-running)"
      for h in memory pids name=systemd; do grep -q ":$h:/system.slice/drydock-command.service$" /proc/self/cgroup && echo "v1 $h"; done
      echo "unified: $(stat -fc %T /sys/fs/cgroup/unified)"
      \(Self.runcSystemdScript(repository: repository, id: id))
      """, cgroup: .hybrid, initSystem: .systemd)
    #expect(result.exitStatus == 0, "\(text)")
    for expected in [
      "pid1: systemd\n", "state: running\n", "v1 memory\n", "v1 pids\n", "v1 name=systemd\n", "unified: cgroup2fs\n",
      "scope: ActiveState=active Delegate=yes TasksMax=99 ", "memory:/system.slice/drydock-\(id).scope", "scope gone",
    ] {
      #expect(text.contains(expected), "\(expected): \(text)")
    }
  }

  @Test func kernelCommandLineMatchesTheMode() {
    var options = VMOptions()
    options.cgroup = .v2
    #expect(VirtualMachine.kernelCommandLine(options, work: "/w").contains("cgroup_no_v1=all"))
    options.cgroup = .hybrid
    let hybrid = VirtualMachine.kernelCommandLine(options, work: "/w")
    #expect(hybrid.contains("systemd.unified_cgroup_hierarchy=0") && !hybrid.contains("cgroup_no_v1"))
    #expect(
      VirtualMachine.runScript(["echo", "it's"], options: options, accelerator: .tcg).contains("exec 'echo' 'it'\\''s'")
    )
    #expect(hybrid.contains("drydock.init=none") && !hybrid.contains("systemd.unit="))
    options.initSystem = .systemd
    let systemd = VirtualMachine.kernelCommandLine(options, work: "/w")
    #expect(systemd.contains("drydock.init=systemd") && systemd.contains("systemd.unit=drydock.target"))
    // The KVM probe powers off from the initramfs: it never boots systemd.
    #expect(VirtualMachine.kernelCommandLine(options, work: "/w", probe: true).contains("drydock.init=none"))
  }
}
