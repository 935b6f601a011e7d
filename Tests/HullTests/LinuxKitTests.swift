// LinuxKit's own pieces that need no container: the owned file descriptor, and what
// self_exe.c knows of hull's command line.
import Dispatch
import Glibc
import LinuxKit
import Testing

@Suite("LinuxKit") struct LinuxKitTests {
  /// What fd `number` is open on now, nil when nothing.
  static func target(of number: Int32) -> String? { LinuxSyscalls().readlink("/proc/self/fd/\(number)") }

  @Test("Clock.utc agrees with glibc's gmtime_r from before 1970 to 2400, leap days and day edges included")
  func utcArithmetic() {
    var samples: [Int] = [
      0, -1, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_399, -2_208_988_800, 13_569_465_600,
    ]
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<5000 {
      x ^= x << 13
      x ^= x >> 7
      x ^= x << 17
      samples.append(Int(x % 14_000_000_000) - 2_500_000_000)
    }
    for seconds in samples {
      var t = seconds
      var expected = tm()
      gmtime_r(&t, &expected)
      let got = Clock.utc(seconds)
      #expect(
        [got.tm_year, got.tm_mon, got.tm_mday, got.tm_hour, got.tm_min, got.tm_sec]
          == [expected.tm_year, expected.tm_mon, expected.tm_mday, expected.tm_hour, expected.tm_min, expected.tm_sec],
        "\(seconds)")
    }
  }

  @Test("FileDescriptor closes itself when it goes away; take() hands the number on open")
  func ownedDescriptor() throws {
    var template = Array("/tmp/hull-fd-unit-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    defer { rmdir(path) }
    var number: Int32 = -1
    do {
      let fd = try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY)
      number = fd.rawValue
      #expect(Self.target(of: number) == path)
      #expect(fcntl(number, F_GETFD) & FD_CLOEXEC != 0)
    }
    // The number may be another test's by now, but never this directory's.
    #expect(Self.target(of: number) != path)

    let kept = try FileDescriptor.open(path, O_RDONLY | O_DIRECTORY).take()
    defer { close(kept) }
    #expect(Self.target(of: kept) == path)

    #expect(throws: SystemError.self) { _ = try FileDescriptor.open(path + "/missing", O_RDONLY) }
    do { _ = try FileDescriptor.open(path + "/missing", O_RDONLY) } catch {
      #expect(error.description == "open \(path)/missing: no such file or directory")
    }
  }

  @Test("hull's command line as self_exe.c's constructor reads it: the commands it protects, the flags with a value")
  func selfExeKnowledge() {
    for command in ["create", "run", "exec", "restore"] { #expect(SelfExe.protects(command)) }
    for command in ["start", "state", "kill", "delete", "features", "spec"] { #expect(!SelfExe.protects(command)) }
    for flag in ["root", "--root", "-log", "log-format", "rootless", "criu"] {
      #expect(SelfExe.globalFlagTakesValue(flag))
    }
    for flag in ["debug", "--systemd-cgroup", "--root=/x", "version"] { #expect(!SelfExe.globalFlagTakesValue(flag)) }
  }
  @Test("Files.uniqueSuffix never repeats within a process, from any thread (one random draw, then a counter)")
  func uniqueSuffixes() {
    let suffixes = (0..<1000).map { _ in Files.uniqueSuffix() }
    #expect(Set(suffixes).count == suffixes.count)
    // Four threads at once: no two get one suffix.
    nonisolated(unsafe) let perThread = UnsafeMutablePointer<[String]>.allocate(capacity: 4)
    perThread.initialize(repeating: [], count: 4)
    defer { perThread.deinitialize(count: 4).deallocate() }
    DispatchQueue.concurrentPerform(iterations: 4) { i in perThread[i] = (0..<2000).map { _ in Files.uniqueSuffix() } }
    let all = (0..<4).flatMap { perThread[$0] }
    #expect(Set(all).count == all.count && Set(all).isDisjoint(with: suffixes))
  }

}
