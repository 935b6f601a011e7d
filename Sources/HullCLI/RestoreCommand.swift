import Glibc
import LinuxKit
import OCISpec
import RuntimeCore

struct RestoreCommand: HullCommand {
  static let name = "restore"
  static let summary = "restore a container from a CRIU checkpoint"
  static let flags: [Arguments.Flag] = [
    .init(names: ["image-path"], takesValue: true), .init(names: ["work-path"], takesValue: true),
    .init(names: ["bundle", "b"], takesValue: true), .init(names: ["detach", "d"], takesValue: false),
    .init(names: ["pid-file"], takesValue: true), .init(names: ["console-socket"], takesValue: true),
    .init(names: ["tcp-established"], takesValue: false), .init(names: ["ext-unix-sk"], takesValue: false),
    .init(names: ["shell-job"], takesValue: false), .init(names: ["file-locks"], takesValue: false),
    .init(names: ["manage-cgroups-mode"], takesValue: true), .init(names: ["no-pivot"], takesValue: false),
  ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    if context.systemdCgroup {
      throw RuntimeError(
        "restore container \(id)",
        reason: "--systemd-cgroup: restoring into a systemd unit is not supported yet (restore with cgroupfs paths)",
        errno: 95)
    }
    let bundle = CreateOptions.bundlePath(args)
    let spec = try CreateOptions.loadSpec(bundle: bundle, id: id, command: "restore")
    var options = Checkpoint.RestoreOptions(
      imagePath: CreateOptions.absolute(args.value("image-path") ?? "checkpoint"), bundle: bundle)
    options.workPath = args.value("work-path").map(CreateOptions.absolute)
    options.pidFile = args.value("pid-file").map(CreateOptions.absolute)
    options.consoleSocket = args.value("console-socket").map(CreateOptions.absolute)
    options.detach = args.bool("detach")
    options.tcpEstablished = args.bool("tcp-established")
    options.externalUnixSockets = args.bool("ext-unix-sk")
    options.shellJob = args.bool("shell-job")
    options.fileLocks = args.bool("file-locks")
    options.manageCgroupsMode = args.value("manage-cgroups-mode")
    let pid = try Checkpoint.restore(id, spec: spec, options: options, store: context.store)
    if options.detach { return 0 }
    // As runc without --detach: wait for the restored init (our child: restore made hull a
    // subreaper before criu ran), remove the container, and exit with its status.
    var status: Int32 = 0
    var waited: Int32
    repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
    if waited < 0 {
      // Not our child after all (a subreaper above us took it): wait on a pidfd, status unknown.
      let process = try? PidFD(pid: pid)
      _ = process?.waitExit(timeoutMs: -1)
      status = 0
    }
    for warning in (try? ContainerOps(store: context.store).delete(id, force: true)) ?? [] {
      context.log.warning(warning)
    }
    if status & 0x7f == 0 { return (status >> 8) & 0xff }
    return 128 + (status & 0x7f)
  }
}
