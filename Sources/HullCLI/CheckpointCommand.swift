import RuntimeCore

struct CheckpointCommand: HullCommand {
  static let name = "checkpoint"
  static let summary = "checkpoint a running container with CRIU"
  static let flags: [Arguments.Flag] = [
    .init(names: ["image-path"], takesValue: true), .init(names: ["work-path"], takesValue: true),
    .init(names: ["parent-path"], takesValue: true),
    .init(names: ["leave-running"], takesValue: false), .init(names: ["tcp-established"], takesValue: false),
    .init(names: ["ext-unix-sk"], takesValue: false), .init(names: ["shell-job"], takesValue: false),
    .init(names: ["file-locks"], takesValue: false), .init(names: ["pre-dump"], takesValue: false),
    .init(names: ["manage-cgroups-mode"], takesValue: true),
  ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    var options = Checkpoint.Options(imagePath: CreateOptions.absolute(args.value("image-path") ?? "checkpoint"))
    options.workPath = args.value("work-path").map(CreateOptions.absolute)
    options.parentPath = args.value("parent-path")
    options.leaveRunning = args.bool("leave-running")
    options.tcpEstablished = args.bool("tcp-established")
    options.externalUnixSockets = args.bool("ext-unix-sk")
    options.shellJob = args.bool("shell-job")
    options.fileLocks = args.bool("file-locks")
    options.preDump = args.bool("pre-dump")
    options.manageCgroupsMode = args.value("manage-cgroups-mode")
    for warning in try Checkpoint.checkpoint(id, options: options, store: context.store) {
      context.log.warning(warning)
    }
    return 0
  }
}
