// A created container's init drops hull's clean image pages while it waits for start (#20, InitStage
// waitForStart → hk_release_image_pages): what it still maps of hull's code, and an image that fakes
// /proc/self/pagemap to make it drop pages it wrote (its relocated GOT, its data), which would crash it.
import Foundation
import Glibc
import Testing

@Suite(
  "waiting init: hull's image pages released", .serialized,
  .enabled(if: HullTestEnv.setupError == nil, Comment(rawValue: HullTestEnv.setupError ?? "")))
struct WaitingInitTests {
  /// kB resident in `pid`'s executable mappings of its main binary (the first mapping's file).
  static func codeResidentKB(pid: Int32) -> Int? {
    let smaps = readText("/proc/\(pid)/smaps")
    var binary: Substring?
    var inBinaryCode = false
    var total = 0
    for line in smaps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let first = fields.first, first.contains("-"), fields.count >= 5, first.first?.isHexDigit == true {
        let file = fields[3] + ":" + fields[4]  // device:inode
        if binary == nil { binary = file }
        inBinaryCode = file == binary && fields[1].contains("x")
      } else if inBinaryCode, fields.first == "Rss:", fields.count > 1, let kb = Int(fields[1]) {
        total += kb
      }
    }
    return binary == nil ? nil : total
  }

  @Test("created, not started: the init maps little of hull's code; start still runs the process")
  func codeReleased() throws {
    let sb = try Sandbox("waiting-pages")
    defer { sb.cleanup() }
    sb.shareTmp()
    sb.script("echo started > /tmp/out")
    let id = sb.newID()
    try sb.create(id)
    let pid = Int32(try sb.state(id)["pid"]?.int64Value ?? 0)
    let resident = try #require(Self.codeResidentKB(pid: pid))
    // Mapped by nothing else, hull's touched code was the init's whole Pss (3.7 of 4.8 MB, release).
    // What the accept loop touches again since: a few fault-around blocks of 64 kB.
    #expect(resident <= 1024, "the waiting init still maps \(resident) kB of hull's code")
    print("waiting init: \(resident) kB of hull's code resident")
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    #expect(sb.waitForFile(sb.shared + "/out")?.contains("started") == true)
    #expect(sb.waitForStatus(id, "stopped"))
    #expect(try sb.hull(["delete", id], writeConfig: false).status == 0)
    sb.expectNothingLeft(id)
  }

  @Test("an image's /proc/self/pagemap (no proc mount) claiming every page clean is not believed")
  func fakePagemap() throws {
    let sb = try Sandbox("fake-pagemap", rootfs: .copy)
    defer { sb.cleanup() }
    // Without address randomisation (inherited by the init) hull's image loads where this test
    // can predict: 0x555555554000 for a PIE (the debug build), 0x400000 for the static release one.
    let setarch = "/usr/bin/setarch"
    guard access(setarch, X_OK) == 0 else {
      throw TestFailure("setarch (util-linux) is needed to pin hull's addresses")
    }
    let base: UInt64 = try Self.isPIE(HullTestEnv.hullPath) ? 0x5555_5555_4000 : 0x40_0000
    // Every page of the next 256 MB "present, file page": each entry has bits 63 and 61 set.
    try FileManager.default.createDirectory(atPath: sb.rootfs + "/proc/self", withIntermediateDirectories: true)
    let fd = open(sb.rootfs + "/proc/self/pagemap", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw TestFailure("create the fake pagemap: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let entries = [UInt64](repeating: (1 << 63) | (1 << 61), count: 65_536)
    let written = entries.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(base / 4096 * 8)) }
    guard written == entries.count * 8 else {
      throw TestFailure(
        "the fake pagemap (a sparse file of \(base / 4096 * 8 >> 30) GB): \(String(cString: strerror(errno)))")
    }
    // No proc mount: /proc is the image's directory.
    let mounts = sb.config["mounts"]?.arrayValue ?? []
    sb.set("mounts", .array(mounts.filter { $0["destination"]?.stringValue != "/proc" }))
    sb.shareTmp()
    sb.script("echo started > /tmp/out")
    let id = sb.newID()
    try sb.writeConfig()
    let create = try run(
      [setarch, "x86_64", "-R", HullTestEnv.hullPath, "--root", sb.root, "create", "--bundle", sb.bundle, id],
      outputDir: sb.dir, timeout: 30)
    #expect(create.status == 0, "\(create)")
    let pid = Int32(try sb.state(id)["pid"]?.int64Value ?? 0)
    #expect(pid > 0 && kill(pid, 0) == 0, "the waiting init is gone")
    let start = try sb.hull(["start", id], writeConfig: false)
    #expect(start.status == 0, "\(start)")
    #expect(sb.waitForFile(sb.shared + "/out")?.contains("started") == true, "the container's process never ran")
    _ = try sb.hull(["delete", "--force", id], writeConfig: false)
    sb.expectNothingLeft(id)
  }

  /// ELF type ET_DYN (3): a position-independent executable.
  static func isPIE(_ path: String) throws -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw TestFailure("open \(path)") }
    defer { try? handle.close() }
    let header = handle.readData(ofLength: 18)
    guard header.count == 18 else { throw TestFailure("\(path): no ELF header") }
    return header[16] == 3
  }
}
