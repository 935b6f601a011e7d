// Checkpoint and restore through CRIU, the parts that run on any host: `features`, the failure where
// `criu check` fails (kernel 6.18 here: CRIU 3.17 cannot parse its vDSO), the arguments refused before
// CRIU runs, and the CRIU command line hull builds (runc's options mapped onto CRIU's CLI). The round
// trips are in CheckpointRoundTripTests (they need a kernel CRIU works on: `drydock vm`).
import Foundation
import Glibc
import OCISpec
import Testing

@testable import RuntimeCore

enum CRIU {
  static let path: String? = ["/usr/sbin/criu", "/usr/bin/criu", "/usr/local/sbin/criu"].first { access($0, X_OK) == 0 }

  /// nil when `criu check` passes; else CRIU's own (last) error line, or why it could not run.
  static let checkError: String? = {
    guard let path else { return "criu is not installed (Debian package criu)" }
    let dir = "/tmp/hull-tests-criu-check-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard let result = try? run([path, "check", "--log-file", dir + "/check.log"], outputDir: dir, timeout: 120) else {
      return "criu could not be started"
    }
    if result.status == 0 { return nil }
    return lastError(readText(dir + "/check.log")) ?? "criu check failed: \(result)"
  }()

  static let works = checkError == nil
  static let disabledReason = Comment(
    rawValue: "criu check fails on this host (the v2 group runs this in drydock vm): "
      + (checkError ?? ""))

  /// The last line of a CRIU log that reports an error.
  static func lastError(_ log: String) -> String? {
    log.split(separator: "\n").last { $0.contains("Error") }.map(String.init)
  }
}

@Suite("checkpoint and restore") struct CheckpointTests {
  /// A container counting in /tmp/count (shared with the test) every 0.1 s, detached.
  static func startCounter(_ sb: Sandbox, _ id: String) throws {
    sb.shareTmp()
    // No stdio of the test's in the container: CRIU would have to restore those files too.
    sb.script(
      "exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done"
    )
    let started = try sb.hull(["run", "-d", "--bundle", sb.bundle, id])
    try #require(started.status == 0, "\(started)")
    try #require(sb.waitForFile(sb.shared + "/count") != nil, "the counter did not start")
  }

  static func count(_ sb: Sandbox) -> Int {
    Int(readText(sb.shared + "/count").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
  }

  /// Waits until the counter passes `value` (5 s at most); its last value.
  @discardableResult
  static func waitForCount(above value: Int, _ sb: Sandbox, seconds: Double = 5) -> Int {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      let now = count(sb)
      if now > value { return now }
      usleep(50_000)
    }
    return count(sb)
  }

  @Test("features reports whether checkpoint works, with CRIU's own error when it does not")
  func featuresAnnotation() throws {
    let sb = try Sandbox("criu-features")
    defer { sb.cleanup() }
    let result = try sb.hull(["features"], writeConfig: false)
    #expect(result.status == 0, "\(result)")
    let features = try JSON.parse(result.stdout)
    let value = features["annotations"]?["org.drydock.hull.checkpoint"]?.stringValue
    if CRIU.path == nil {
      // hull's own wording, not CRIU's: it names the missing program.
      #expect(value?.hasPrefix("unavailable: ") == true && value?.contains("criu") == true, "\(result)")
    } else if CRIU.checkError != nil {
      // CRIU's reason varies with its version and the kernel: hull must say it is unavailable and why, in some words.
      #expect(value?.hasPrefix("unavailable: ") == true && (value?.count ?? 0) > "unavailable: ".count, "\(result)")
    } else {
      #expect(value == "available (criu)", "\(result)")
    }
  }

  @Test(
    "where criu check fails, checkpoint fails with CRIU's error and the container keeps running",
    .enabled(if: CRIU.path != nil && !CRIU.works, "criu is missing, or criu check passes (the round trips run instead)")
  )
  func checkpointFailsCleanly() throws {
    let sb = try Sandbox("criu-fails")
    defer { sb.cleanup() }
    let id = sb.newID()
    try Self.startCounter(sb, id)
    let before = Self.waitForCount(above: 1, sb)

    // Without --work-path CRIU's log is in the image directory, as with runc, and the error names it.
    let images = sb.dir + "/images"
    let result = try sb.hull(["checkpoint", "--image-path", images, id], writeConfig: false)
    #expect(result.status != 0, "\(result)")
    #expect(result.stderr.contains(images + "/dump.log"), "the error should name CRIU's log: \(result)")
    let line = try #require(
      CRIU.lastError(readText(images + "/dump.log")), "criu wrote no error to \(images)/dump.log: \(result)")
    #expect(result.stderr.contains(line), "the error should carry CRIU's own line \(line.debugDescription): \(result)")

    // With --work-path the log is there (made when missing), and so is the error.
    let work = sb.dir + "/work"
    let withWork = try sb.hull(
      ["checkpoint", "--image-path", images + "2", "--work-path", work, "--leave-running", id],
      writeConfig: false)
    #expect(withWork.status != 0, "\(withWork)")
    let workLine = CRIU.lastError(readText(work + "/dump.log"))
    #expect(workLine != nil && withWork.stderr.contains(workLine!), "criu's error from \(work)/dump.log: \(withWork)")

    // The container was neither killed, nor removed, nor left frozen: it keeps counting.
    #expect(sb.status(id) == "running")
    let after = Self.waitForCount(above: before + 3, sb)
    #expect(after > before + 3, "the counter stopped at \(after) (was \(before) before the checkpoint)")
    #expect(try sb.hull(["kill", id, "KILL"], writeConfig: false).status == 0)
    #expect(sb.waitForStatus(id, "stopped"))
  }

  /// runc 1.1.5's answers to the same arguments, measured: "--parent-path must be relative", "invalid --parent-path:
  /// stat …: no such file or directory", "Invalid manage cgroups mode", "Container cannot be checkpointed in created state".
  @Test("arguments runc refuses are refused before CRIU runs, and the container is left as it was")
  func badCheckpointArguments() throws {
    let sb = try Sandbox("criu-args")
    defer { sb.cleanup() }
    let id = sb.newID()
    try Self.startCounter(sb, id)
    let images = sb.dir + "/images"
    let refused: [([String], [String])] = [
      (["--parent-path", "/abs"], ["--parent-path", "relative"]),
      (["--parent-path", "nothere"], ["--parent-path", images + "/nothere"]),
      (["--manage-cgroups-mode", "bogus"], ["--manage-cgroups-mode", "bogus"]),
    ]
    for (flags, words) in refused {
      let result = try sb.hull(["checkpoint", "--image-path", images] + flags + [id], writeConfig: false)
      #expect(result.status != 0, "\(result)")
      for word in words { #expect(result.stderr.contains(word), "\(word) in \(result)") }
      #expect(!FileManager.default.fileExists(atPath: images + "/dump.log"), "criu ran: \(result)")
    }
    #expect(sb.status(id) == "running")

    let created = sb.newID("created")
    _ = try sb.create(created)
    let notRunning = try sb.hull(["checkpoint", "--image-path", images, created], writeConfig: false)
    #expect(notRunning.status != 0 && notRunning.stderr.contains("not running"), "\(notRunning)")
    #expect(sb.status(created) == "created")
  }

  @Test("restore refuses a console socket without a terminal, a terminal without one, and a bad image, leaving nothing")
  func badRestoreArguments() throws {
    let sb = try Sandbox("criu-restore-args")
    defer { sb.cleanup() }
    let images = sb.dir + "/images"
    try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
    let socketPath = sb.dir + "/console.sock"

    let withSocket = sb.newID("socket")
    let socketNoTerminal = try sb.hull([
      "restore", "-d", "--console-socket", socketPath, "--image-path", images,
      "--bundle", sb.bundle, withSocket,
    ])
    #expect(socketNoTerminal.status != 0 && socketNoTerminal.stderr.contains("--console-socket"), "\(socketNoTerminal)")
    sb.expectNothingLeft(withSocket)

    sb.set("process.terminal", .bool(true))
    let terminal = sb.newID("terminal")
    let terminalNoSocket = try sb.hull(["restore", "-d", "--image-path", images, "--bundle", sb.bundle, terminal])
    #expect(terminalNoSocket.status != 0 && terminalNoSocket.stderr.contains("--console-socket"), "\(terminalNoSocket)")
    sb.expectNothingLeft(terminal)

    // An empty image directory: CRIU fails (on any kernel); its log is named and nothing of the container stays.
    sb.set("process.terminal", .bool(false))
    let empty = sb.newID("empty")
    let badImage = try sb.hull(["restore", "-d", "--image-path", images, "--bundle", sb.bundle, empty], timeout: 120)
    #expect(badImage.status != 0 && badImage.stderr.contains("restore.log"), "\(badImage)")
    sb.expectNothingLeft(empty)
  }

  @Test(
    "stdio that is the host's /dev/null becomes the container's own /dev/null (runc's reOpenDevNull); other stdio is left alone"
  )
  func hostDevNullReopened() throws {
    let sb = try Sandbox("criu-devnull")
    defer { sb.cleanup() }
    // CRIU cannot dump a descriptor of a mount outside the container ("Can't lookup mount=… for fd=0"): that is
    // what a detached container had (hull run -d passes the caller's stdio on).
    sb.shareTmp()
    sb.script(
      "{ awk '$5 == \"/dev\" { print \"dev\", $1 }' /proc/self/mountinfo; "
        + "for fd in 0 1; do awk -v fd=$fd '/^mnt_id/ { print \"fd\" fd, $2 }' /proc/self/fdinfo/$fd; done; } > /tmp/ids"
    )
    let result = try sb.hull(["run", "-d", "--bundle", sb.bundle, sb.newID()])  // stdin: the host's /dev/null; stdout: a file
    #expect(result.status == 0, "\(result)")
    let text = try #require(sb.waitForFile(sb.shared + "/ids", containing: "fd1"), "the container wrote no ids")
    var ids: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ")
      if words.count == 2 { ids[String(words[0])] = String(words[1]) }
    }
    #expect(ids["dev"] != nil && ids["fd0"] == ids["dev"], "stdin is not on the container's /dev: \(text)")
    #expect(ids["fd1"] != nil && ids["fd1"] != ids["dev"], "stdout (a host file) was replaced: \(text)")
  }

  @Test("the CRIU command line: runc's checkpoint options mapped onto criu's")
  func dumpArguments() {
    var options = Checkpoint.Options(imagePath: "/i")
    options.workPath = "/w"
    options.leaveRunning = true
    options.tcpEstablished = true
    options.fileLocks = true
    options.manageCgroupsMode = "soft"
    options.parentPath = "../p"
    let args = Checkpoint.dumpArguments(
      pid: 42, rootfs: "/r", options: options, freezeCgroup: "/sys/fs/cgroup/c",
      externalMounts: [("/tmp", "/tmp"), ("/proc/kcore", "/dev/null")],
      terminal: "tty[8800:19]")
    func has(_ words: String...) -> Bool {
      args.indices.contains { args[$0...].starts(with: words) }
    }
    #expect(Array(args.prefix(4)) == ["criu", "dump", "--tree", "42"], "\(args)")
    #expect(has("--images-dir", "/i") && has("--work-dir", "/w") && has("--root", "/r"), "\(args)")
    #expect(has("--manage-cgroups=soft") && has("--freeze-cgroup", "/sys/fs/cgroup/c"), "\(args)")
    #expect(has("--prev-images-dir", "../p") && has("--track-mem") && has("--leave-running"), "\(args)")
    #expect(has("--tcp-established") && has("--file-locks") && !has("--shell-job") && !has("--ext-unix-sk"), "\(args)")
    #expect(has("--ext-mount-map", "/tmp:/tmp") && has("--ext-mount-map", "/proc/kcore:/dev/null"), "\(args)")
    #expect(has("--external", "tty[8800:19]") && has("--log-file", "dump.log"), "\(args)")

    // A pre-dump leaves the tasks running by itself (CRIU refuses nothing, but runc sends no leave_running) and
    // tracks memory for the dump that follows.
    var pre = Checkpoint.Options(imagePath: "/i")
    pre.preDump = true
    pre.leaveRunning = true
    let preArgs = Checkpoint.dumpArguments(
      pid: 42, rootfs: "/r", options: pre, freezeCgroup: nil, externalMounts: [], terminal: nil)
    #expect(
      preArgs[1] == "pre-dump" && preArgs.contains("--track-mem") && !preArgs.contains("--leave-running"), "\(preArgs)")
    #expect(
      !preArgs.contains("--freeze-cgroup") && !preArgs.contains("--external") && preArgs.contains("pre-dump.log"),
      "\(preArgs)")
    #expect(preArgs.contains("--manage-cgroups"), "\(preArgs)")
  }
}
