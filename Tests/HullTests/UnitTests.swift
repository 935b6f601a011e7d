// Unit-level checks of what the CLI relies on: container id validation and the error shape.
import OCISpec
import RuntimeCore
import Testing

@Suite("units") struct UnitTests {
  @Test("valid container ids", arguments: ["a", "abc-123", "A_b.c+d", String(repeating: "x", count: 255), "..."])
  func validIDs(_ id: String) throws {
    try ContainerID.validate(id)
  }

  @Test(
    "invalid container ids",
    arguments: [
      "", ".", "..", "../x", "a/b", "/abs", "a b", "a\nb", "a\0b", "ü",
      String(repeating: "a", count: 256), String(repeating: "a", count: 1024),
    ])
  func invalidIDs(_ id: String) {
    #expect(throws: RuntimeError.self) { try ContainerID.validate(id) }
    do { try ContainerID.validate(id) } catch {
      #expect(error.description.contains("container id"), "\(error)")
      #expect(error.errno != 0)
    }
  }

  @Test("RuntimeError reads `<operation> <path>: <reason>`")
  func errorDescription() {
    #expect(
      RuntimeError("open", "/x/y", reason: "no such file or directory").description
        == "open /x/y: no such file or directory")
    #expect(
      RuntimeError("start container a", reason: "container is already running").description
        == "start container a: container is already running")
    #expect(RuntimeError("list", reason: "").description == "list")
  }

  @Test("the busybox bundle's config.json is accepted by the spec parser")
  func busyboxConfigParses() throws {
    let text = readText(HullTestEnv.repoRoot + "/bundles/busybox/config.json")
    let spec = try Spec.parse(Array(text.utf8))
    #expect(spec.process?.args.first == "/bin/sh")
    #expect(spec.root?.readonly == true)
  }
}
