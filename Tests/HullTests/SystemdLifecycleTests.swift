// --systemd-cgroup in the runtime, without systemd: the planner's unit, and the launcher's and
// delete's calls on a recording fake manager (installed through SystemdBusProvider), on a temp-dir
// cgroup tree. What systemd itself does with them is SystemdCgroupTests' part (in a systemd VM).
import Cgroups
import Foundation
import Glibc
import OCISpec
import Testing

@testable import RuntimeCore

/// The calls the runtime makes on the manager, by name and unit.
final class RecordingSystemdBus: SystemdBus, @unchecked Sendable {
  var calls: [String] = []
  var startProperties: [UnitProperty] = []

  func startTransientUnit(_ name: String, mode: String, properties: [UnitProperty]) throws(CgroupError) -> String {
    calls.append("StartTransientUnit \(name) \(mode)")
    startProperties = properties
    return "/job/1"
  }
  func setUnitProperties(_ name: String, runtime: Bool, properties: [UnitProperty]) throws(CgroupError) {
    calls.append("SetUnitProperties \(name) \(runtime)")
  }
  func stopUnit(_ name: String, mode: String) throws(CgroupError) -> String {
    calls.append("StopUnit \(name) \(mode)")
    return "/job/2"
  }
  func resetFailedUnit(_ name: String) throws(CgroupError) { calls.append("ResetFailedUnit \(name)") }
  func waitForJob(_ path: String, timeoutMs: Int) throws(CgroupError) -> String {
    calls.append("wait \(path)")
    return "done"
  }
  func managerProperty(_ name: String) throws(CgroupError) -> String {
    calls.append("Get \(name)")
    return name == "Version" ? "252" : "/user.slice/user-1000.slice/user@1000.service"
  }
}

@Suite("systemd lifecycle (fake bus)", .serialized)
struct SystemdLifecycleTests {
  /// A temp dir laid out as a unified cgroup host, removed by `done`.
  final class World {
    let dir: String
    let host: CgroupHost
    let store: StateStore
    let bus = RecordingSystemdBus()

    init() throws {
      dir =
        FileManager.default.temporaryDirectory.path
        + "/hull-systemd-fake-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      try FileManager.default.createDirectory(atPath: dir + "/cgroup", withIntermediateDirectories: true)
      host = CgroupHost(root: dir + "/cgroup", mode: .unified)
      store = StateStore(root: dir + "/state")
      let bus = self.bus
      SystemdBusProvider.replacement = { _ in bus }
    }

    func done() {
      SystemdBusProvider.replacement = nil
      try? FileManager.default.removeItem(atPath: dir)
    }

    func plan(cgroupsPath: String, resources: String = "{}", rootless: Bool = false) throws -> LaunchPlan {
      var config = try JSON.parse(readText(HullTestEnv.repoRoot + "/bundles/busybox/config.json"))
      config = config.setting("linux.cgroupsPath", .string(cgroupsPath)).setting(
        "linux.resources", try JSON.parse(resources))
      let spec = try Spec.parse(Array(JSON.serialize(config).utf8))
      var options = LaunchOptions(id: "c1", bundle: dir, stateDir: store.directory("c1"))
      options.systemdCgroup = true
      options.rootless = rootless
      return try Planner.plan(spec: spec, options: options, host: FakeHost(cgroupHost: host))
    }
  }

  @Test("the plan names the unit; the cgroup is the slice's path plus the unit, managed by systemd")
  func plan() throws {
    let world = try World()
    defer { world.done() }
    let plan = try world.plan(cgroupsPath: "machine.slice:libpod:abc")
    #expect(plan.systemdUnit?.name == "libpod-abc.scope")
    #expect(plan.cgroup?.path == "/machine.slice/libpod-abc.scope")
    #expect(plan.cgroup?.manager == .systemd(unit: "libpod-abc.scope", user: false))
    #expect(try world.plan(cgroupsPath: "").systemdUnit?.name == "hull-c1.scope")
    do {
      _ = try world.plan(cgroupsPath: "/not/systemd/form")
      Issue.record("a cgroupfs path was accepted with --systemd-cgroup")
    } catch {
      #expect("\(error)".contains("linux.cgroupsPath") && "\(error)".contains("slice:prefix:name"), "\(error)")
    }
    #expect(world.bus.calls.isEmpty, "planning must not talk to systemd: \(world.bus.calls)")
  }

  @Test("a failure after StartTransientUnit stops the unit; the directories hull made go too")
  func failureAfterStart() throws {
    let world = try World()
    defer { world.done() }
    // No control file exists in the temp tree: the file writes fail after the unit started.
    var plan = try world.plan(cgroupsPath: "system.slice:hulltest:c1", resources: #"{"memory":{"limit":67108864}}"#)
    let lock = try world.store.create("c1")
    var record = ContainerRecord(
      id: "c1", pid: 0, initStartTime: 0, bundle: "", rootfs: "", created: "", owner: "root",
      ociVersion: "1.0.2", annotations: [], cgroupPath: plan.cgroup!.path, cgroupCreated: [],
      started: false, poststart: [], poststop: [])
    SystemdPlacement.name(plan, in: &record)
    try world.store.save(record)
    var cleanup = Launcher.Cleanup(store: world.store, id: "c1")
    cleanup.cgroup = plan.cgroup
    do {
      try SystemdPlacement.place(
        pid: 4242, unit: plan.systemdUnit!, cgroup: plan.cgroup!, plan: &plan, record: &record,
        store: world.store, cleanup: &cleanup)
      Issue.record("place succeeded without control files")
    } catch {
      #expect(error.description.contains("memory.max"), "\(error)")
    }
    #expect(world.bus.calls == ["StartTransientUnit hulltest-c1.scope replace", "wait /job/1"])
    #expect(world.bus.startProperties.contains(UnitProperty("PIDs", .uint32s([4242]))))
    #expect(world.bus.startProperties.contains(UnitProperty("MemoryMax", .uint64(64 << 20))))
    // The directory hull made under the slice was recorded before it was made.
    let saved = try world.store.load("c1")
    #expect(saved.systemdUnit == "hulltest-c1.scope")
    #expect(saved.cgroupCreated == cleanup.cgroupCreated && !saved.cgroupCreated.isEmpty, "\(saved.cgroupCreated)")
    cleanup.run()
    _ = consume lock
    #expect(
      world.bus.calls.suffix(3) == [
        "StopUnit hulltest-c1.scope replace", "wait /job/2", "ResetFailedUnit hulltest-c1.scope",
      ])
    #expect(access(world.host.unifiedMountPoint! + "/system.slice", F_OK) != 0, "directories left behind")
    #expect(access(world.store.directory("c1"), F_OK) != 0)
  }

  @Test("delete of a stopped container stops its unit; a damaged state's essentials still name it")
  func deleteStopsUnit() throws {
    let world = try World()
    defer { world.done() }
    let ops = ContainerOps(store: world.store)
    for damaged in [false, true] {
      let lock = try world.store.create("c1")
      var record = ContainerRecord(
        id: "c1", pid: 999_999, initStartTime: 1, bundle: "", rootfs: "", created: "", owner: "root",
        ociVersion: "1.0.2", annotations: [], cgroupPath: "/system.slice/hulltest-c1.scope",
        cgroupCreated: [], started: true, poststart: [], poststop: [])
      record.systemdUnit = "hulltest-c1.scope"
      try world.store.save(record)
      _ = consume lock
      if damaged {
        try "{".write(toFile: world.store.directory("c1") + "/state.json", atomically: true, encoding: .utf8)
      }
      world.bus.calls = []
      _ = try ops.delete("c1", force: true)
      #expect(
        world.bus.calls == ["StopUnit hulltest-c1.scope replace", "wait /job/2", "ResetFailedUnit hulltest-c1.scope"],
        "damaged: \(damaged)")
      #expect(access(world.store.directory("c1"), F_OK) != 0)
    }
  }

  @Test("rootless: the user manager's unit lives below the manager's own cgroup")
  func userPath() throws {
    let world = try World()
    defer { world.done() }
    var plan = try world.plan(cgroupsPath: "", rootless: true)
    #expect(plan.systemdUnit?.slice == "user.slice" && plan.systemdUnit?.user == true)
    try SystemdPlacement.resolvePath(&plan)
    #expect(plan.cgroup?.path == "/user.slice/user-1000.slice/user@1000.service/user.slice/hull-c1.scope")
    #expect(world.bus.calls == ["Get ControlGroup"])
  }
}
