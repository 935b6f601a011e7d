import Glibc
import LinuxKit
import RuntimeCore

/// `hull ps [--format table|json] ID [ps options]`, as runc: ps(1)'s own table (`-ef` unless
/// options follow the id), keeping the header and the lines of the container's processes.
struct PsCommand: HullCommand {
  static let name = "ps"
  static let summary =
    "show a container's processes: ps(1)'s table (ps options after the id, -ef by default) or --format json"
  static let flags: [Arguments.Flag] = [.init(names: ["format", "f"], takesValue: true)]
  /// What follows the id is ps's own (`hull ps ID -e -x`).
  static let positionalLimit = 1

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let id = try containerID(args, command: name)
    let pids = try ContainerOps(store: context.store).pids(id)
    if args.value("format") == "json" {
      printOut("[" + pids.map(String.init).joined(separator: ",") + "]\n")
      return 0
    }
    let options = Array(args.positionals.dropFirst())
    let output = try psOutput(options.isEmpty ? ["-ef"] : options, id: id)
    var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    guard let header = lines.first, let pidColumn = header.split(separator: " ").firstIndex(of: "PID") else {
      throw RuntimeError("ps container \(id)", reason: "couldn't find PID field in ps output", errno: EINVAL)
    }
    lines.removeFirst()
    let wanted = Set(pids)
    var text = header + "\n"
    for line in lines {
      let fields = line.split(separator: " ")
      if fields.count > pidColumn, let pid = Int32(fields[pidColumn]), wanted.contains(pid) { text += line + "\n" }
    }
    printOut(String(text))
    return 0
  }

  /// ps(1) from $PATH, its stdout captured in an unlinked temporary file (any size, no pipe to drain).
  static func psOutput(_ options: [String], id: String) throws(RuntimeError) -> String {
    let searchPath: String = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    let path = searchPath.split(separator: ":").map { String($0) + "/ps" }.first { access($0, X_OK) == 0 }
    guard let path else {
      throw RuntimeError("ps container \(id)", "ps", reason: "ps(1) not found in $PATH", errno: ENOENT)
    }
    var template = Array("/tmp/hull-ps-XXXXXX".utf8CString)
    let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if file < 0 { throw RuntimeError(SystemError("mkstemp", "/tmp/hull-ps-XXXXXX"), context: "ps container \(id)") }
    let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    unlink(temporary)
    defer { close(file) }
    let outcome: Spawn.Outcome
    do {
      outcome = try Spawn.run(path: path, args: ["ps"] + options, env: Spawn.currentEnvironment(), stdoutFD: file)
    } catch {
      throw RuntimeError("ps container \(id): \(error.operation)", path, reason: error.reason, errno: error.errno)
    }
    guard outcome == .exited(0) else {
      throw RuntimeError(
        "ps container \(id)", path, reason: "ps \(options.joined(separator: " ")) failed (\(outcome))", errno: EINVAL)
    }
    lseek(file, 0, SEEK_SET)
    let bytes: [UInt8]
    do { bytes = try Files.readAll(file, path: temporary) } catch {
      throw RuntimeError("ps container \(id): read ps output", temporary, reason: "\(error)", errno: EIO)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
