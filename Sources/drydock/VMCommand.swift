// `drydock vm`: run any command (a test suite, drydock itself) as root in a VM of the cgroup mode asked for, on
// the developer's own machine: Debian's stock kernel under qemu (KVM when it boots, TCG otherwise), the host's
// userland read-only under a tmpfs overlay. Exits with the command's status.
import ArgumentParser
import DrydockKit
import Foundation
import VMHost

struct VMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vm",
    abstract: "Run a command as root in a VM with cgroup v2, hybrid or v1 (qemu; KVM when it works, else TCG).",
    discussion: """
      The guest sees the host's files (its /tmp included) with a writable tmpfs on top, the --out \
      directory read-write, and runs COMMAND from the current directory. Output is streamed; the exit status is \
      COMMAND's. In the guest, DRYDOCK_VM=1, DRYDOCK_VM_ACCEL (kvm|tcg), DRYDOCK_VM_CGROUP and DRYDOCK_VM_INIT are set: timings \
      taken under TCG must be labelled as such.
      """)

  @Option(
    help: ArgumentHelp(
      "Guest kernel image vmlinuz-<release> (default: the newest in /boot with modules).", valueName: "PATH"))
  var kernel: String?

  @Option(help: "Cgroup layout of the guest: v2, hybrid or v1.")
  var cgroup: String = "v2"

  @Option(
    help:
      "The guest's PID 1: none (the initramfs runs the command) or systemd (the host's systemd, booted into journald, dbus and the command)."
  )
  var `init`: String = "none"

  @Option(help: ArgumentHelp("Guest memory.", valueName: "MiB"))
  var memory = 2048

  @Option(help: "Guest CPUs.")
  var cpus = 2

  @Option(help: ArgumentHelp("Kill the VM after this many seconds.", valueName: "S"))
  var timeout = 1800.0

  @Option(help: ArgumentHelp("A host directory the guest writes into (same path inside).", valueName: "DIR"))
  var out: String?

  @Option(help: "auto (KVM if a probe boot works), kvm or tcg.")
  var accel: String = "auto"

  @Argument(parsing: .captureForPassthrough, help: "The command to run in the guest (after --).")
  var command: [String] = []

  func run() throws {
    guard getuid() == 0 else { throw ValidationError("drydock vm needs root (9p passthrough of the host's files)") }
    guard let mode = GuestCgroupMode(rawValue: cgroup) else {
      throw ValidationError("--cgroup must be v2, hybrid or v1")
    }
    guard let initSystem = GuestInit(rawValue: `init`) else { throw ValidationError("--init must be none or systemd") }
    guard let choice = AcceleratorChoice(rawValue: accel) else {
      throw ValidationError("--accel must be auto, kvm or tcg")
    }
    let argv = command.first == "--" ? Array(command.dropFirst()) : command
    guard !argv.isEmpty else { throw ValidationError("give the command after --") }
    var options = VMOptions()
    options.kernel = kernel
    options.cgroup = mode
    options.initSystem = initSystem
    options.memoryMiB = memory
    options.cpus = cpus
    options.timeoutSeconds = timeout
    options.outDirectory = out.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    options.accelerator = choice
    do {
      let result = try VirtualMachine.run(argv, options: options)
      FileHandle.standardError.write(
        Data(
          "drydock vm: \(result.kernel.release), cgroup \(mode.rawValue), init \(initSystem.rawValue), \(result.accelerator.rawValue.uppercased()): exit \(result.exitStatus) after \(String(format: "%.1f", result.wallSeconds)) s\n"
            .utf8))
      if result.exitStatus != 0 { throw ExitCode(result.exitStatus) }
    } catch let error as HarnessError where error.domain == .kit {
      FileHandle.standardError.write(Data("drydock \(error)\n".utf8))
      throw ExitCode.failure
    }
  }
}
