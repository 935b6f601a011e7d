// VirtualMachine: boots a guest kernel under qemu, runs one command in it as root, streams the command's output
// and returns its exit status. Every run gets a work directory of its own (initramfs, run.sh, the console log and
// the status file the guest writes), removed afterwards; a timeout kills qemu, so nothing is left running.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct VMResult: Sendable {
  /// The command's exit status inside the guest.
  public var exitStatus: Int32
  public var accelerator: Accelerator
  public var kernel: GuestKernel
  public var wallSeconds: Double
}

public enum VirtualMachine {
  static let readyMarker = "drydock-vm: ready:"

  /// Runs `command` (argv) in a fresh guest and returns its exit status. `output` receives the guest console from
  /// the init's ready line on (the command's stdout and stderr), as it arrives.
  public static func run(
    _ command: [String], options: VMOptions,
    output: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }
  )
    throws -> VMResult
  {
    guard !command.isEmpty else {
      throw HarnessError(.kit, operation: "drydock vm", errno: EINVAL, message: "no command given")
    }
    let kernel = try GuestKernel.find(options.kernel)
    let qemu = try qemuPath()
    let work = try makeWorkDirectory()
    defer { try? FileManager.default.removeItem(atPath: work) }
    let initrd = try buildInitramfs(kernel: kernel, into: work)
    let accelerator = try resolve(options.accelerator, kernel: kernel, qemu: qemu, initrd: initrd)
    try runScript(command, options: options, accelerator: accelerator).write(
      toFile: work + "/run.sh", atomically: true, encoding: .utf8)
    if let out = options.outDirectory {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    }
    let started = Date()
    let console = work + "/console.log"
    guard FileManager.default.createFile(atPath: console, contents: nil) else {
      throw HarnessError.posix(.kit, "create console log", path: console, errno: errno)
    }
    let tail = ConsoleTail(path: console, output: output)
    let thread = Thread { tail.follow() }
    thread.start()
    let result = try ProcessRunner.run(
      qemuArguments(
        qemu: qemu, kernel: kernel, initrd: initrd, work: work,
        accelerator: accelerator, options: options),
      stdout: .file(console), stderr: .file(work + "/qemu.err"),
      timeout: options.timeoutSeconds)
    tail.finish()
    while !tail.done { usleep(10_000) }
    let wall = Date().timeIntervalSince(started)
    if result.timedOut {
      throw HarnessError(
        .kit, operation: "drydock vm", path: kernel.image, errno: ETIMEDOUT,
        message: "the guest ran longer than \(Int(options.timeoutSeconds)) s: qemu was killed")
    }
    let statusText = (try? String(contentsOfFile: work + "/status", encoding: .utf8))?.trimmingCharacters(
      in: .whitespacesAndNewlines)
    guard let statusText, let status = Int32(statusText) else {
      let qemuError = (try? String(contentsOfFile: work + "/qemu.err", encoding: .utf8)) ?? ""
      let lastLines = tail.lastLines.joined(separator: " / ")
      throw HarnessError(
        .kit, operation: "drydock vm", path: kernel.image, errno: EIO,
        message: "the guest reported no exit status (qemu \(result.summary)): \(qemuError) \(lastLines)")
    }
    return VMResult(exitStatus: status, accelerator: accelerator, kernel: kernel, wallSeconds: wall)
  }

  static func qemuPath() throws -> String {
    guard let path = HostInfo.resolveExecutable("qemu-system-x86_64") else {
      throw HarnessError(
        .kit, operation: "find qemu", path: "qemu-system-x86_64", errno: ENOENT,
        message: "not installed (Debian package qemu-system-x86; scripts/setup installs it)")
    }
    return path
  }

  static func makeWorkDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "drydock-vm.XXXXXX").utf8CString)
    guard mkdtemp(&template) != nil else {
      throw HarnessError.posix(.kit, "mkdtemp", path: NSTemporaryDirectory(), errno: errno)
    }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func buildInitramfs(kernel: GuestKernel, into work: String) throws -> String {
    guard let repository = BundleFactory.repositoryRoot() else {
      throw HarnessError(
        .kit, operation: "find vm/make-initramfs", message: "cannot locate the repository; set DRYDOCK_REPO")
    }
    let initrd = work + "/initrd.gz"
    let made = try ProcessRunner.run([repository + "/vm/make-initramfs", initrd, kernel.release], timeout: 120)
    guard made.succeeded else {
      throw HarnessError(
        .kit, operation: "build initramfs", path: initrd,
        message: made.stderrText.isEmpty ? made.summary : made.stderrText)
    }
    return initrd
  }

  static func kernelCommandLine(_ options: VMOptions, work: String, probe: Bool = false) -> String {
    var words = ["console=ttyS0", "quiet", "loglevel=1", "rdinit=/init", "panic=-1"] + options.cgroup.kernelParameters
    if !probe { words += options.initSystem.kernelParameters(cgroup: options.cgroup) }
    words += [
      "drydock.cgroup=\(options.cgroup.rawValue)", "drydock.init=\(probe ? "none" : options.initSystem.rawValue)",
      "drydock.work=\(work)",
    ]
    if let out = options.outDirectory { words.append("drydock.out=\(out)") }
    if probe { words.append("drydock.probe=1") }
    return words.joined(separator: " ")
  }

  static func qemuArguments(
    qemu: String, kernel: GuestKernel, initrd: String, work: String, accelerator: Accelerator,
    options: VMOptions, probe: Bool = false
  ) -> [String] {
    // setpriv --pdeathsig: qemu dies with drydock even when drydock is SIGKILLed, so no VM outlives its caller.
    var argv = [
      "setpriv", "--pdeathsig", "KILL", qemu, "-accel", accelerator.rawValue, "-cpu",
      accelerator == .kvm ? "host" : "max",
      "-m", String(options.memoryMiB), "-smp", String(options.cpus),
      "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio", "-display", "none",
      "-kernel", kernel.image, "-initrd", initrd, "-append", kernelCommandLine(options, work: work, probe: probe),
      "-virtfs", "local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap",
      "-virtfs", "local,path=\(work),mount_tag=work,security_model=passthrough",
    ]
    if let out = options.outDirectory {
      argv += ["-virtfs", "local,path=\(out),mount_tag=out,security_model=passthrough"]
    }
    return argv
  }

  /// run.sh: the guest's chroot runs it with /bin/sh. Every word single-quoted.
  static func runScript(_ command: [String], options: VMOptions, accelerator: Accelerator) -> String {
    func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    var environment = [
      "PATH="
        + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
      "HOME=/root", "DRYDOCK_VM=1", "DRYDOCK_VM_ACCEL=\(accelerator.rawValue)",
      "DRYDOCK_VM_CGROUP=\(options.cgroup.rawValue)", "DRYDOCK_VM_INIT=\(options.initSystem.rawValue)",
    ]
    if let repository = BundleFactory.repositoryRoot() { environment.append("DRYDOCK_REPO=" + repository) }
    environment += options.environment
    return "cd \(quoted(options.workingDirectory)) || exit 125\n"
      + environment.map { "export " + quoted($0) }.joined(separator: "\n") + "\n"
      + "exec " + command.map(quoted).joined(separator: " ") + "\n"
  }
}

/// Follows the console log as qemu writes it and hands on what comes after the init's ready line (the firmware's
/// and the kernel's lines before it are noise), without the kernel's final power-off line.
final class ConsoleTail: @unchecked Sendable {
  private let path: String
  private let output: @Sendable (String) -> Void
  private let lock = NSLock()
  private var finishing = false
  private var finished = false
  private var tailLines: [String] = []

  init(path: String, output: @escaping @Sendable (String) -> Void) {
    self.path = path
    self.output = output
  }

  var done: Bool {
    lock.lock()
    defer { lock.unlock() }
    return finished
  }
  var lastLines: [String] {
    lock.lock()
    defer { lock.unlock() }
    return tailLines
  }
  func finish() {
    lock.lock()
    finishing = true
    lock.unlock()
  }

  func follow() {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      lock.lock()
      finished = true
      lock.unlock()
      return
    }
    var pending = Data()
    var ready = false
    while true {
      lock.lock()
      let stop = finishing
      lock.unlock()
      let chunk = handle.availableData
      if !chunk.isEmpty { pending.append(chunk) }
      while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[pending.startIndex...newline], as: UTF8.self)
        pending.removeSubrange(pending.startIndex...newline)
        remember(line)
        if !ready {
          if let marker = line.range(of: VirtualMachine.readyMarker) {
            ready = true
            FileHandle.standardError.write(Data(line[marker.lowerBound...].utf8))
          }
          continue
        }
        if line.range(of: #"^\[ *[0-9.]+\] reboot: "#, options: .regularExpression) != nil { continue }
        output(line)
      }
      if chunk.isEmpty {
        if stop { break }
        usleep(20_000)
      }
    }
    if ready && !pending.isEmpty { output(String(decoding: pending, as: UTF8.self)) }
    lock.lock()
    finished = true
    lock.unlock()
  }

  private func remember(_ line: String) {
    lock.lock()
    tailLines.append(line.trimmingCharacters(in: .whitespacesAndNewlines))
    if tailLines.count > 5 { tailLines.removeFirst() }
    lock.unlock()
  }
}
