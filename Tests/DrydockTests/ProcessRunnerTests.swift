// ProcessRunner: exit codes, signals, timeouts that kill the whole process group, pipes, rusage.
import DrydockKit
import Foundation
import Testing

@Suite struct ProcessRunnerTests {
  @Test func exitCodeAndOutputs() throws {
    let result = try ProcessRunner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
    #expect(result.exitCode == 3)
    #expect(result.signal == nil)
    #expect(!result.succeeded && !result.timedOut)
    #expect(result.stdoutText == "out\n")
    #expect(result.stderrText == "err\n")
    #expect(result.wallNanoseconds > 0)
  }

  @Test func terminatingSignalIsReported() throws {
    let result = try ProcessRunner.run(["/bin/sh", "-c", "kill -USR1 $$"])
    #expect(result.exitCode == nil)
    #expect(result.signal == SIGUSR1)
  }

  @Test func stdinBytesReachTheChild() throws {
    let input = Array(repeating: UInt8(ascii: "x"), count: 200_000) + Array("\n".utf8)
    let result = try ProcessRunner.run(["/bin/cat"], input: .bytes(input))
    #expect(result.succeeded)
    #expect(result.stdout == input)  // larger than a pipe buffer both ways
  }

  @Test func stdinIsDevNullByDefault() throws {
    let result = try ProcessRunner.run(["/bin/cat"], timeout: 5)
    #expect(result.succeeded && result.stdout.isEmpty)
  }

  @Test func timeoutKillsTheProcessGroup() throws {
    let directory =
      FileManager.default.temporaryDirectory.path + "/drydock-pr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // A grandchild in the same process group must die too.
    let result = try ProcessRunner.run(
      ["/bin/sh", "-c", "sleep 60 & echo $! > \(directory)/grandchild; wait"], timeout: 0.5)
    #expect(result.timedOut)
    #expect(result.signal == SIGKILL)
    #expect(result.wallMilliseconds < 5000)
    let text = try String(contentsOfFile: directory + "/grandchild", encoding: .utf8)
    let grandchild = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(ProcessRunner.waitForExit(pid: grandchild, timeout: 5))
  }

  @Test func rusageCountsTheChildTree() throws {
    // The busy loop runs in a grandchild the shell waits for: its CPU is in the child's rusage.
    let result = try ProcessRunner.run([
      "/bin/sh", "-c", "/bin/sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'",
    ])
    #expect(result.succeeded)
    #expect(result.cpuNanoseconds > 0)
    #expect(result.userCPUNanoseconds > 0)
    #expect(result.maxRSSKilobytes > 0)
  }

  @Test func outputToFileAndWorkingDirectory() throws {
    let file =
      FileManager.default.temporaryDirectory.path + "/drydock-pr-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    defer { unlink(file) }
    let result = try ProcessRunner.run(["/bin/pwd"], workingDirectory: "/proc", stdout: .file(file))
    #expect(result.succeeded && result.stdout.isEmpty)
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "/proc\n")
  }

  @Test func environmentIsPassed() throws {
    let result = try ProcessRunner.run(["/bin/sh", "-c", "echo $DRYDOCK_X"], environment: ["DRYDOCK_X=42"])
    #expect(result.stdoutText == "42\n")
  }

  @Test func missingBinaryThrows() {
    #expect(#expect(throws: HarnessError.self) { try ProcessRunner.run(["/nonexistent/binary"]) }?.domain == .kit)
  }

  @Test func jsonOutputIsParsed() throws {
    let result = try ProcessRunner.run(["/bin/echo", #"{"status":"running","pid":7}"#])
    let object = try #require(result.jsonObject() as? [String: Any])
    #expect(object["status"] as? String == "running")
  }
}
