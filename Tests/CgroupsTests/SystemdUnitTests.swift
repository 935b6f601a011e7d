// --systemd-cgroup's cgroupsPath "slice:prefix:name": runc 1.1.5's defaults, its slice
// expansion (ExpandSlice) and the forms it refuses, each refusal naming linux.cgroupsPath.
import Cgroups
import Testing

@Suite("systemd unit names and slices")
struct SystemdUnitTests {
  @Test(
    "slices expand to their parents' paths",
    arguments: [
      ("-.slice", "/"), ("system.slice", "/system.slice"), ("user-1000.slice", "/user.slice/user-1000.slice"),
      ("machine-qemu.slice", "/machine.slice/machine-qemu.slice"), ("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"),
      ("Hello_World.slice", "/Hello_World.slice"),
    ])
  func expand(_ slice: String, _ path: String) throws {
    #expect(try SystemdUnit.expandSlice(slice) == path)
  }

  @Test(
    "bad slice names are refused",
    arguments: [
      "", "system", ".slice", "a/b.slice", "-a.slice", "a-.slice", "a--b.slice",
      "system.slice/", "foo.scope", "/system.slice",
    ])
  func badSlice(_ slice: String) {
    #expect(throws: CgroupError.self) { try SystemdUnit.expandSlice(slice) }
  }

  @Test(
    "slice:prefix:name → unit, slice and cgroup path",
    arguments: [
      // cgroupsPath, rootless, unit, slice, path
      ("system.slice:docker:abc", false, "docker-abc.scope", "system.slice", "/system.slice/docker-abc.scope"),
      ("machine.slice:libpod:0123", false, "libpod-0123.scope", "machine.slice", "/machine.slice/libpod-0123.scope"),
      (":crio:x1", false, "crio-x1.scope", "system.slice", "/system.slice/crio-x1.scope"),
      (":crio:x1", true, "crio-x1.scope", "user.slice", "/user.slice/crio-x1.scope"),
      ("", false, "hull-c1.scope", "system.slice", "/system.slice/hull-c1.scope"),
      ("", true, "hull-c1.scope", "user.slice", "/user.slice/hull-c1.scope"),
      ("machine-vm1.slice:p:n", false, "p-n.scope", "machine-vm1.slice", "/machine.slice/machine-vm1.slice/p-n.scope"),
      ("-.slice:p:n", false, "p-n.scope", "-.slice", "/p-n.scope"),
      ("system.slice::n", false, "-n.scope", "system.slice", "/system.slice/-n.scope"),
      ("system.slice:p:", false, "p-.scope", "system.slice", "/system.slice/p-.scope"),
      ("system.slice:p:pod-x.slice", false, "pod-x.slice", "system.slice", "/system.slice/pod-x.slice"),
    ])
  func parse(_ cgroupsPath: String, _ rootless: Bool, _ unit: String, _ slice: String, _ path: String) throws {
    let parsed = try SystemdUnit.parse(cgroupsPath, id: "c1", user: rootless)
    #expect(parsed.name == unit)
    #expect(parsed.slice == slice)
    #expect(parsed.path == path)
    #expect(parsed.user == rootless)
    #expect(parsed.isSlice == unit.hasSuffix(".slice"))
  }

  @Test(
    "bad forms are refused naming linux.cgroupsPath and the part",
    arguments: [
      ("/system.slice/abc", "slice:prefix:name"), ("a:b", "slice:prefix:name"), ("a:b:c:d", "slice:prefix:name"),
      ("system:docker:abc", "slice"), ("a--b.slice:p:n", "slice"),
      ("system.slice:p:a/b", "unit name"), ("system.slice:p:a b", "unit name"),
      ("system.slice:p:" + String(repeating: "x", count: 250), "255"),
    ])
  func badForms(_ cgroupsPath: String, _ says: String) {
    do {
      _ = try SystemdUnit.parse(cgroupsPath, id: "c1", user: false)
      Issue.record("\(cgroupsPath) was accepted")
    } catch {
      #expect(error.operation.contains("linux.cgroupsPath"), "\(error)")
      #expect(error.description.contains(says), "\(error)")
      #expect(error.errno == 22)
    }
  }
}
