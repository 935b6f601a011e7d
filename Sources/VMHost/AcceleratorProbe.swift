// AcceleratorProbe: KVM when a probe boot under it reaches the guest's init, TCG otherwise. /dev/kvm can exist
// on a host whose nested virtualisation a stock kernel cannot boot under (it hangs), so its presence proves
// nothing: the probe boots the real kernel and initramfs with an init that powers off at once. The answer is
// kept per kernel until the host reboots (under /run), so only the first VM pays for a hanging probe.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension VirtualMachine {
  static let probeTimeoutSeconds = 20.0

  static func resolve(_ choice: AcceleratorChoice, kernel: GuestKernel, qemu: String, initrd: String) throws
    -> Accelerator
  {
    switch choice {
    case .tcg: return .tcg
    case .kvm: return .kvm
    case .auto:
      guard access("/dev/kvm", R_OK | W_OK) == 0 else { return .tcg }
      let cache = "/run/drydock-vm-accelerator-\(kernel.release)"
      if let kept = try? String(contentsOfFile: cache, encoding: .utf8),
        let accelerator = Accelerator(rawValue: kept.trimmingCharacters(in: .whitespacesAndNewlines))
      {
        return accelerator
      }
      let failure = try probeKVM(kernel: kernel, qemu: qemu, initrd: initrd)
      let accelerator: Accelerator = failure == nil ? .kvm : .tcg
      try? accelerator.rawValue.write(toFile: cache, atomically: true, encoding: .utf8)
      if let failure {
        FileHandle.standardError.write(
          Data(
            "drydock vm: /dev/kvm is present but kernel \(kernel.release) does not boot under it (\(failure)); using TCG\n"
              .utf8))
      }
      return accelerator
    }
  }

  /// nil when the guest's init ran under KVM; else what went wrong.
  static func probeKVM(kernel: GuestKernel, qemu: String, initrd: String) throws -> String? {
    let work = try makeWorkDirectory()
    defer { try? FileManager.default.removeItem(atPath: work) }
    var options = VMOptions()
    options.memoryMiB = 256
    options.cpus = 1
    let result = try ProcessRunner.run(
      qemuArguments(
        qemu: qemu, kernel: kernel, initrd: initrd, work: work,
        accelerator: .kvm, options: options, probe: true),
      stdout: .null, stderr: .pipe, timeout: probeTimeoutSeconds)
    let status = try? String(contentsOfFile: work + "/status", encoding: .utf8)
    if !result.timedOut && status?.trimmingCharacters(in: .whitespacesAndNewlines) == "0" { return nil }
    if result.timedOut { return "probe boot: no init within \(Int(probeTimeoutSeconds)) s" }
    let said = result.stderrText.split(separator: "\n").first.map(String.init) ?? "no message"
    let how = result.signal.map { "killed by signal \($0)" } ?? "exit status \(result.exitCode ?? -1)"
    return "probe boot: qemu \(how): \(said)"
  }
}
