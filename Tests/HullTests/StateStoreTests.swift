// Issue 2 item 9: one locked directory per container; commands on one container are
// serialized, on different containers they are not; atomic state writes.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite("state store") struct StateStoreTests {
  @Test("concurrent state and kill on one container: every state read is whole and right")
  func concurrentStateAndKill() throws {
    let sb = try Sandbox("concurrent-one")
    defer { sb.cleanup() }
    sb.script("trap '' USR1; exec sleep 30")
    sb.script("trap 'true' USR1; while true; do sleep 0.05; done")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    var started: [Spawned] = []
    for i in 0..<24 {
      let args = i % 3 == 0 ? ["kill", id, "USR1"] : ["state", id]
      started.append(try sb.hullSpawn(args, writeConfig: false))
    }
    let results = started.map { $0.wait() }
    for result in results {
      #expect(result.status == 0, "\(result)")
      if result.argv.contains("state") {
        let state = try JSON.parse(result.stdout)
        #expect(state["id"]?.stringValue == id && state["status"]?.stringValue == "running", "\(result)")
      }
    }
    #expect(sb.status(id) == "running")
  }

  @Test("a command waits while another holds the container's lock")
  func lockSerializes() throws {
    let sb = try Sandbox("lock")
    defer { sb.cleanup() }
    sb.script("trap 'true' USR1; while true; do sleep 0.05; done")
    let id = sb.newID()
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, id]).status == 0)
    let other = sb.newID("other")
    sb.set("linux.cgroupsPath", .string(sb.cgroupPath + "-other"))
    sb.ownCgroup(sb.cgroupPath + "-other")
    #expect(try sb.hull(["run", "-d", "--bundle", sb.bundle, other]).status == 0)

    // Hold the lock hull takes (flock on the container's directory).
    let fd = open(sb.root + "/" + id, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX) == 0)
    let kill = try sb.hullSpawn(["kill", id, "USR1"], writeConfig: false)
    let state = try sb.hullSpawn(["state", id], writeConfig: false)
    let delete = try sb.hullSpawn(["delete", id], writeConfig: false)
    // Another container is not blocked.
    let otherState = try sb.hull(["state", other], timeout: 5, writeConfig: false)
    #expect(otherState.status == 0, "a command on another container was blocked: \(otherState)")
    usleep(400_000)
    #expect(kill.isRunning && state.isRunning && delete.isRunning, "a command ran while the lock was held")
    #expect(flock(fd, LOCK_UN) == 0)
    #expect(kill.wait().status == 0)
    let stateResult = state.wait()
    #expect(
      stateResult.status == 0 && (try? JSON.parse(stateResult.stdout))?["status"]?.stringValue == "running",
      "\(stateResult)")
    let deleteResult = delete.wait()
    #expect(deleteResult.status != 0 && deleteResult.stderr.contains("not stopped"), "\(deleteResult)")
  }

  @Test("two containers are created concurrently in one root")
  func concurrentCreates() throws {
    let sb = try Sandbox("concurrent-create")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    var spawned: [(String, Spawned)] = []
    for index in 0..<4 {
      // Each container its own bundle (same rootfs) and cgroup.
      let bundle = sb.dir + "/bundle-\(index)"
      try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
      let cgroup = sb.cgroupPath + "-\(index)"
      sb.ownCgroup(cgroup)
      let config = sb.config.setting("root.path", .string(sb.rootfs)).setting("linux.cgroupsPath", .string(cgroup))
      try JSON.serialize(config).write(toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
      let id = sb.newID("c\(index)")
      spawned.append((id, try sb.hullSpawn(["create", "--bundle", bundle, id], writeConfig: false)))
    }
    for (id, process) in spawned {
      let result = process.wait()
      #expect(result.status == 0, "\(result)")
      #expect(sb.status(id) == "created")
    }
    let list = try JSON.parse(try sb.hull(["list", "--format", "json"], writeConfig: false).stdout)
    #expect(list.arrayValue?.count == 4)
    let pids = Set(try spawned.map { try sb.pid($0.0) })
    #expect(pids.count == 4)
  }

  @Test("state.json is replaced atomically: no temp files stay behind")
  func atomicWrites() throws {
    let sb = try Sandbox("atomic")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    #expect(try sb.hull(["start", id], writeConfig: false).status == 0)
    let entries = try FileManager.default.contentsOfDirectory(atPath: sb.root + "/" + id)
    #expect(
      entries.allSatisfy { ["state.json", "exec.sock", "started", "essentials"].contains($0) },
      "temporary files left: \(entries)")
    #expect(!entries.contains("exec.sock"), "exec.sock stays after start: \(entries)")
    var st = stat()
    #expect(stat(sb.root + "/" + id, &st) == 0 && st.st_mode & 0o777 == 0o711)
  }

  @Test("a corrupt state.json is reported, not trusted")
  func corruptState() throws {
    let sb = try Sandbox("corrupt-state")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    try sb.hull(["delete", "--force", id], writeConfig: false)
    try FileManager.default.createDirectory(atPath: sb.root + "/" + id, withIntermediateDirectories: true)
    try "{\"id\": \"\(id)\", \"pid\": ".write(
      toFile: sb.root + "/" + id + "/state.json", atomically: false, encoding: .utf8)
    let state = try sb.hull(["state", id], writeConfig: false)
    #expect(state.status != 0 && state.stderr.contains("state.json"), "\(state)")
    let delete = try sb.hull(["delete", "--force", id], writeConfig: false)
    // --force removes the unreadable state and says so.
    #expect(delete.status == 0 && access(sb.root + "/" + id, F_OK) != 0, "\(delete)")
    #expect(delete.stderr.contains("state"), "\(delete)")
    try? FileManager.default.removeItem(atPath: sb.root + "/" + id)
  }

  @Test(
    "a container's directory appears already locked; creates leave no private directory behind, and a dead creator's is swept"
  )
  func createRenamesALockedDirectoryIntoPlace() throws {
    let sb = try Sandbox("create-rename")
    defer { sb.cleanup() }
    sb.script("exec sleep 30")
    let id = sb.newID()
    try sb.create(id)
    // A second create of the id is refused and leaves nothing of its own.
    let again = try sb.hull(["create", "--bundle", sb.bundle, id], writeConfig: false)
    #expect(again.status != 0 && again.stderr.contains("already exists"), "\(again)")
    var names = try FileManager.default.contentsOfDirectory(atPath: sb.root)
    #expect(names == [id], "entries under the root: \(names)")
    // The private directory of a create killed before its rename (its pid is dead) is swept by the
    // next delete --force that finds no container; one whose creator is alive is left alone.
    let exited = try spawn(["/bin/true"], outputDir: sb.dir)
    _ = exited.wait()
    let dead = exited.pid
    let stale = sb.root + "/~creating.\(dead).x1"
    let live = sb.root + "/~creating.\(getpid()).x2"
    #expect(mkdir(stale, 0o711) == 0 && mkdir(live, 0o711) == 0)
    let delete = try sb.hull(["delete", "--force", sb.newID("absent")], writeConfig: false)
    #expect(delete.status == 0, "\(delete)")
    names = try FileManager.default.contentsOfDirectory(atPath: sb.root).sorted()
    #expect(names == [id, "~creating.\(getpid()).x2"].sorted(), "entries under the root: \(names)")
    rmdir(live)
    try sb.hull(["delete", "--force", id], writeConfig: false)
  }
}
