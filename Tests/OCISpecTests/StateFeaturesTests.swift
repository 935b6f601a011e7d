import Testing

@testable import OCISpec

@Suite struct StateFeaturesTests {
  @Test func stateJSON() throws {
    let st = ContainerState(
      ociVersion: "1.3.0", id: "c1", status: .running, pid: 4242, bundle: "/b/c1",
      annotations: [("z", "1"), ("a", "\"q\"")], rootfs: "/b/c1/rootfs",
      created: "2026-11-29T17:00:00.000000000Z", owner: "")
    let v = try JSON.parse(st.json())
    let o = try #require(v.objectValue)
    #expect(o.keys == ["ociVersion", "id", "status", "pid", "bundle", "annotations", "rootfs", "created", "owner"])
    #expect(v["status"] == .string("running"))
    #expect(v["pid"] == .int(4242))
    #expect(v["annotations"]?.objectValue?.keys == ["z", "a"])
    #expect(v["annotations"]?["a"] == .string("\"q\""))
    #expect(try JSON.parse(st.json(pretty: true)) == v)
    #expect(st.json(pretty: true).contains("\n  \"id\": \"c1\",\n"))

    let back = try ContainerState.parse(Array(st.json().utf8))
    #expect(back.id == "c1" && back.status == .running && back.pid == 4242 && back.bundle == "/b/c1")
    #expect(back.annotations.map(\.key) == ["z", "a"])
    #expect(back.created == st.created && back.rootfs == st.rootfs && back.owner == "")
  }

  @Test func stateOmitsEmptyAnnotationsAndAbsentExtras() throws {
    let st = ContainerState(id: "x", status: .stopped, pid: 0, bundle: "/b")
    #expect(st.json() == #"{"ociVersion":"1.3.0","id":"x","status":"stopped","pid":0,"bundle":"/b"}"#)
    for status in ContainerStatus.allCases {
      let s = ContainerState(id: "x", status: status, pid: 1, bundle: "/b")
      #expect(try JSON.parse(s.json())["status"] == .string(status.rawValue))
    }
    #expect(throws: SpecError.self) {
      _ = try ContainerState.parse(Array(#"{"ociVersion":"1","id":"x","status":"zombie","bundle":"/"}"#.utf8))
    }
  }

  /// Every field set, as a runtime with all of them would claim (hull builds its own in RuntimeCore).
  static let full = Features(
    ociVersionMin: supportedOCIVersionMin, ociVersionMax: supportedOCIVersionMax, hooks: Hooks.names,
    mountOptions: knownMountOptions,
    linux: LinuxFeatures(
      namespaces: NamespaceKind.allCases.map(\.rawValue), capabilities: knownCapabilities,
      cgroup: CgroupFeatures(v1: true, v2: true, systemd: false, systemdUser: false, rdma: true),
      seccomp: SeccompFeatures(
        enabled: true, actions: Seccomp.actions, operators: Seccomp.operators,
        archs: Seccomp.architectureNames, knownFlags: Seccomp.knownFlags,
        supportedFlags: Seccomp.knownFlags),
      apparmorEnabled: false, selinuxEnabled: false, intelRdt: nil, idmapMountsEnabled: true, netDevicesEnabled: false,
      memoryPolicy: MemoryPolicyFeatures(modes: memoryPolicyModes, flags: memoryPolicyFlags)))

  @Test func featuresJSON() throws {
    let v = try JSON.parse(Self.full.json())
    #expect(v["ociVersionMin"] == .string("1.0.0"))
    #expect(v["ociVersionMax"] == .string("1.3.0"))
    #expect(v["hooks"]?.arrayValue?.count == 6)
    #expect(v["mountOptions"]?.arrayValue?.contains(.string("rbind")) == true)
    let linux = try #require(v["linux"])
    #expect(linux["namespaces"]?.arrayValue?.count == 8)
    #expect(linux["capabilities"]?.arrayValue?.count == 41)
    #expect(linux["cgroup"]?["v2"] == .bool(true))
    #expect(linux["seccomp"]?["enabled"] == .bool(true))
    #expect(linux["seccomp"]?["actions"]?.arrayValue?.contains(.string("SCMP_ACT_NOTIFY")) == true)
    #expect(linux["seccomp"]?["operators"]?.arrayValue?.count == 7)
    #expect(linux["apparmor"]?["enabled"] == .bool(false))
    #expect(linux["selinux"]?["enabled"] == .bool(false))
    #expect(linux["mountExtensions"]?["idmap"]?["enabled"] == .bool(true))
    #expect(linux["intelRdt"] == nil)
    #expect(v["annotations"] == nil)  // empty: omitted like Go's omitempty
  }

  @Test func featuresOmitUnknowns() throws {
    var f = Features(ociVersionMin: "1.0.0", ociVersionMax: "1.3.0")
    #expect(f.json() == "{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.3.0\"\n}")
    f.annotations = [("org.opencontainers.runc.version", "hull-0.1")]
    f.linux = LinuxFeatures(intelRdt: IntelRdtFeatures(enabled: true, schemata: true))
    let v = try JSON.parse(f.json())
    #expect(v["annotations"]?["org.opencontainers.runc.version"] == .string("hull-0.1"))
    #expect(v["linux"]?["intelRdt"]?["schemata"] == .bool(true))
    #expect(v["linux"]?["namespaces"] == nil)
  }
}
