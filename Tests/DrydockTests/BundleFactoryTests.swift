// ConfigTree mutations on the template, and BundleFactory's three rootfs strategies (root: bind mounts).
import DrydockKit
import Foundation
import Testing

@Suite(.serialized) struct BundleFactoryTests {
  static func temporaryDirectory() throws -> String {
    let path =
      FileManager.default.temporaryDirectory.path + "/drydock-bf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test func templateLoadsAndMutates() throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let factory = try BundleFactory(workDirectory: directory)
    var config = try factory.template()
    #expect(config.value(at: "process.terminal") as? Bool == false)
    #expect(config.hasNamespace("network"))

    try config.setArgs(["/bin/true"])
    #expect(config.args == ["/bin/true"])
    try config.setCgroupsPath("/drydock-test/x")
    #expect(config.value(at: ["linux", "cgroupsPath"]) as? String == "/drydock-test/x")
    try config.set("linux.sysctl.net.ipv4.ip_forward", to: "1")  // dotted form splits every dot...
    #expect(config.value(at: ["linux", "sysctl", "net", "ipv4", "ip_forward"]) as? String == "1")
    try config.remove(["linux", "sysctl"])
    try config.set(["linux", "sysctl", "net.ipv4.ip_forward"], to: "1")  // ...the array form keeps a dotted key
    #expect(config.value(at: ["linux", "sysctl", "net.ipv4.ip_forward"]) as? String == "1")

    try config.append("process.env", "DRYDOCK=1")
    #expect((config.value(at: "process.env") as? [String])?.last == "DRYDOCK=1")
    try config.append(["annotations", "list"], 1)  // creates the array (and the object)
    #expect((config.value(at: "annotations.list") as? [Any])?.count == 1)

    try config.set(["linux", "namespaces", 0, "type"], to: "cgroup")
    #expect(config.value(at: "linux.namespaces.0.type") as? String == "cgroup")
    try config.removeNamespace("network")
    #expect(!config.hasNamespace("network"))
    try config.remove("linux.namespaces.0")
    #expect(!config.hasNamespace("cgroup"))
    try config.remove("process.capabilities")
    #expect(config.value(at: "process.capabilities") == nil)
    try config.remove("no.such.key")  // missing: no-op

    #expect(
      #expect(throws: HarnessError.self) { try config.set(["linux", "namespaces", 99, "type"], to: "x") }?.domain
        == .kit)
    #expect(#expect(throws: HarnessError.self) { try config.remove(["mounts", 999]) }?.domain == .kit)
    #expect(#expect(throws: HarnessError.self) { try config.set("hostname.inner", to: 1) }?.domain == .kit)  // into a string

    // Round trip: booleans stay booleans, numbers stay numbers.
    let reread = try ConfigTree(jsonData: try config.jsonData())
    #expect(reread.value(at: "root.readonly") as? Bool == true)
    #expect(reread.value(at: "process.rlimits.0.hard") as? Int == 1024)
    let text = String(decoding: try config.jsonData(), as: UTF8.self)
    #expect(text.contains("\"readonly\" : true") || text.contains("\"readonly\": true"))
  }

  @Test(arguments: RootfsStrategy.allCases)
  func bundlesAreMadeAndRemoved(strategy: RootfsStrategy) throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let factory = try BundleFactory(workDirectory: directory, defaultStrategy: strategy)
    var config = try factory.template()
    try config.setArgs(["/bin/echo", "hi"])
    let bundle = try factory.makeBundle(name: "b-\(strategy.rawValue)", config: config)
    #expect(FileManager.default.isExecutableFile(atPath: bundle.rootfs + "/bin/busybox"))
    #expect(try ConfigTree(contentsOfFile: bundle.configPath).args == ["/bin/echo", "hi"])
    let link = try FileManager.default.destinationOfSymbolicLink(atPath: bundle.rootfs + "/bin/sh")
    #expect(link == "busybox")
    if strategy == .bindMountReadOnly {
      #expect(access(bundle.rootfs + "/bin", W_OK) != 0 && errno == EROFS)
      let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
      #expect(mounts.contains(bundle.rootfs))
    }
    try factory.removeBundle(bundle)
    #expect(!FileManager.default.fileExists(atPath: bundle.path))
    let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
    #expect(!mounts.contains(bundle.rootfs))
    factory.removeAll()
    #expect(!FileManager.default.fileExists(atPath: directory + "/rootfs-cache"))
  }
}
