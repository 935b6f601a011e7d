// HostLabel: the host a result came from, carried by every conformance and bench result so that results from
// different hosts are never compared as if they were one: kernel, cgroup mode, PID 1, and whether it is a
// drydock VM (and under KVM or TCG: TCG timings are emulation, never comparable with hardware ones).
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct HostLabel: Codable, Sendable, Hashable {
  public var kernel: String
  /// v1, hybrid, unified (v2) or none.
  public var cgroupMode: String
  /// The name of PID 1 ("systemd", "init", "sh" for drydock vm's busybox init…).
  public var initProcess: String
  /// "drydock-vm" inside `drydock vm`, else "host" (this host may itself be a VM: see `virtualization`).
  public var machine: String
  /// kvm or tcg inside `drydock vm`; nil elsewhere.
  public var accelerator: String?

  enum CodingKeys: String, CodingKey {
    case kernel, machine, accelerator
    case cgroupMode = "cgroup_mode"
    case initProcess = "init"
  }

  public init(kernel: String, cgroupMode: String, initProcess: String, machine: String, accelerator: String?) {
    self.kernel = kernel
    self.cgroupMode = cgroupMode
    self.initProcess = initProcess
    self.machine = machine
    self.accelerator = accelerator
  }

  /// `info`: the host as already read, when the caller has it (bench's environment does).
  public static func current(_ info: HostInfo = HostInfo.current()) -> HostLabel {
    let environment = ProcessInfo.processInfo.environment
    let pid1 =
      (try? String(contentsOfFile: "/proc/1/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
      ?? "unknown"
    let inVM = environment["DRYDOCK_VM"] == "1"
    return HostLabel(
      kernel: info.kernelRelease, cgroupMode: info.cgroupMode.rawValue, initProcess: pid1,
      machine: inVM ? "drydock-vm" : "host", accelerator: inVM ? environment["DRYDOCK_VM_ACCEL"] : nil)
  }

  /// The cgroup mode as users name it: v2 for the unified hierarchy alone.
  public var modeName: String { cgroupMode == "unified" ? "v2" : cgroupMode }

  /// Timings are comparable only between results of the same kind of machine: never TCG with anything else.
  public var timingClass: String { accelerator == "tcg" ? "tcg" : "native" }

  /// "v2, kernel 6.1.0-57-amd64, init sh, drydock-vm (TCG)".
  public var summary: String {
    var text = "\(modeName), kernel \(kernel), init \(initProcess), \(machine)"
    if let accelerator { text += " (\(accelerator.uppercased()))" }
    return text
  }
}
