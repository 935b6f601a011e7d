import Glibc
import OCISpec
import Testing

@testable import Seccomp

/// A fresh directory under /tmp, removed with its entries by `remove`.
private struct TemporaryDirectory {
  let path: String
  init() throws {
    var template = Array("/tmp/hull-seccomp-cache-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
    try #require(made)
    path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  func entries(_ sub: String = "") -> [String] {
    guard let dir = opendir(path + sub) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let e = readdir(dir) {
      let name = withUnsafeBytes(of: &e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
  func remove(_ sub: String = "/cache") {
    for name in entries(sub) { unlink("\(path)\(sub)/\(name)") }
    rmdir(path + sub)
    rmdir(path)
  }
}

extension SeccompSuite {
  @Suite struct Cache {
    @Test func missThenHitGivesTheSameProgram() throws {
      let dir = try TemporaryDirectory()
      defer { dir.remove() }
      let seccomp = try profile(fixture("docker-default.json"))
      let cache = dir.path + "/cache"
      var start = nowNanoseconds()
      let first = try SeccompProgram.compile(seccomp, cacheDirectory: cache)
      let miss = nowNanoseconds() - start
      #expect(dir.entries("/cache").count == 1)
      var hits: [UInt64] = []
      var second = first
      for _ in 0..<20 {
        start = nowNanoseconds()
        second = try SeccompProgram.compile(seccomp, cacheDirectory: cache)
        hits.append(nowNanoseconds() - start)
      }
      hits.sort()
      #expect(second.bpf == first.bpf)
      #expect(second.flags == first.flags && second.usesNotify == first.usesNotify)
      #expect(second.warnings == first.warnings)
      #expect(second.bpf == (try SeccompProgram.compile(seccomp, optimize: Compiler.binaryTreeLevel)).bpf)
      print(
        "docker default profile through the cache: miss \(miss / 1000) us, hit median \(hits[hits.count / 2] / 1000) us"
      )
    }

    @Test func warningsAndNotifySurviveTheCache() throws {
      let dir = try TemporaryDirectory()
      defer { dir.remove() }
      let seccomp = try profile(
        #"""
        {"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/agent.sock",
         "syscalls":[{"names":["getppid","nope_one","nope_two"],"action":"SCMP_ACT_NOTIFY"}]}
        """#)
      let first = try SeccompProgram.compile(seccomp, cacheDirectory: dir.path + "/cache")
      let second = try SeccompProgram.compile(seccomp, cacheDirectory: dir.path + "/cache")
      #expect(first.warnings.count == 2)
      #expect(second.warnings == first.warnings)
      #expect(second.usesNotify && second.flags == first.flags)
    }

    @Test func aDifferentProfileIsADifferentEntry() throws {
      let dir = try TemporaryDirectory()
      defer { dir.remove() }
      let a = try profile(
        #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}"#)
      let b = try profile(
        #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":5}]}"#
      )
      let pa = try SeccompProgram.compile(a, cacheDirectory: dir.path + "/cache")
      let pb = try SeccompProgram.compile(b, cacheDirectory: dir.path + "/cache")
      #expect(pa.bpf != pb.bpf)
      #expect(dir.entries("/cache").count == 2)
      #expect(try SeccompProgram.compile(b, cacheDirectory: dir.path + "/cache").bpf == pb.bpf)
    }

    @Test func anEntryForAnotherKeyOrACorruptEntryIsAMiss() throws {
      let dir = try TemporaryDirectory()
      defer { dir.remove() }
      let cache = dir.path + "/cache"
      let seccomp = try profile(
        #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#)
      let key = CacheKey.make(seccomp)
      let path = "\(cache)/\(CacheKey.fileName(key))"
      // A permissive program stored under this profile's file name but another key
      // (as a hash collision would be) must not be used.
      let allowAll = try SeccompProgram.compile(profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#))
      CacheFile.write(allowAll, key: Array("another profile".utf8), path: path, directory: cache)
      #expect(CacheFile.read(path: path, key: key) == nil)
      let program = try SeccompProgram.compile(seccomp, cacheDirectory: cache)
      #expect(program.bpf != allowAll.bpf)
      #expect(CacheFile.read(path: path, key: key)?.bpf == program.bpf)
      // Truncated entry: a miss, then rewritten.
      #expect(truncate(path, 20) == 0)
      #expect(CacheFile.read(path: path, key: key) == nil)
      #expect(try SeccompProgram.compile(seccomp, cacheDirectory: cache).bpf == program.bpf)
      #expect(CacheFile.read(path: path, key: key)?.bpf == program.bpf)
    }

    @Test func anUnwritableCacheIsBypassed() throws {
      let seccomp = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
      let program = try SeccompProgram.compile(seccomp, cacheDirectory: "/proc/no-cache-here")
      #expect(program.instructionCount > 0)
    }
  }
}
