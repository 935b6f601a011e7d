// VMOptions: what `drydock vm` boots and how. The guest is Debian's stock kernel under qemu with a busybox
// initramfs (vm/init, vm/make-initramfs); it sees the host's whole userland read-only over 9p under a
// tmpfs-backed overlay, so nothing it does changes the host except in the work and out directories.
import Foundation

/// The cgroup layout the guest mounts.
public enum GuestCgroupMode: String, Sendable, Codable, CaseIterable {
  /// cgroup2 alone at /sys/fs/cgroup, every controller enabled in the root's subtree_control (Fedora, Ubuntu 22.04+,
  /// Debian 12, RHEL 9 with systemd).
  case v2
  /// v1 controllers under /sys/fs/cgroup/<controller> and an empty cgroup2 at /sys/fs/cgroup/unified (systemd's
  /// hybrid layout, this project's own hosts).
  case hybrid
  /// v1 controllers only.
  case v1

  /// Kernel parameters that make the kernel's choice agree with what vm/init mounts.
  var kernelParameters: [String] {
    switch self {
    case .v2: return ["systemd.unified_cgroup_hierarchy=1", "cgroup_no_v1=all"]
    case .hybrid, .v1: return ["systemd.unified_cgroup_hierarchy=0"]
    }
  }
}

/// The guest's PID 1 after the initramfs has laid out the new root.
public enum GuestInit: String, Sendable, Codable, CaseIterable {
  /// vm/init itself runs the command in the new root (no service manager): the fastest boot.
  case none
  /// The host's systemd (/lib/systemd/systemd) as PID 1, booted into a minimal drydock.target (journald, the system
  /// bus, the command; vm/systemd-units): a systemd host for systemd cgroup drivers and clients in systemd mode.
  /// systemd mounts the cgroup layout itself.
  case systemd

  /// Kernel parameters for systemd: the target vm/systemd-units writes, no status lines on the console.
  func kernelParameters(cgroup: GuestCgroupMode) -> [String] {
    switch self {
    case .none: return []
    case .systemd:
      // v1 means "legacy" to systemd: no cgroup2 mount at all (hybrid is its default with unified_cgroup_hierarchy=0).
      let legacy = cgroup == .v1 ? ["systemd.legacy_systemd_cgroup_controller=1"] : []
      return ["systemd.unit=drydock.target", "systemd.show_status=0", "systemd.log_level=warning"] + legacy
    }
  }
}

/// How qemu runs the guest's CPUs.
public enum Accelerator: String, Sendable, Codable {
  /// Hardware virtualisation: used when a probe boot under it reaches the guest's init.
  case kvm
  /// qemu's software emulation: always works, several times slower; timings from it are labelled TCG.
  case tcg
}

public enum AcceleratorChoice: String, Sendable, CaseIterable {
  case auto, kvm, tcg
}

public struct VMOptions: Sendable {
  /// The guest kernel (default: the newest /boot/vmlinuz-* with modules under /lib/modules).
  public var kernel: String?
  public var cgroup: GuestCgroupMode = .v2
  public var initSystem: GuestInit = .none
  public var memoryMiB: Int = 2048
  public var cpus: Int = 2
  /// Seconds from boot to power-off; then the VM is killed and the run fails.
  public var timeoutSeconds: Double = 1800
  /// A host directory the guest writes into (mounted read-write at the same path in the guest).
  public var outDirectory: String?
  public var accelerator: AcceleratorChoice = .auto
  /// The guest command's working directory (must exist on the host; default: the caller's).
  public var workingDirectory: String = FileManager.default.currentDirectoryPath
  /// Environment for the command (NAME=VALUE); PATH and the caller's DRYDOCK_REPO are always passed.
  public var environment: [String] = []

  public init() {}
}
