import Glibc
import LinuxKit

/// One container's cgroup: the same relative path in every mounted v1 hierarchy and,
/// on hybrid and unified hosts, in the unified hierarchy (as runc and crun do).
public struct CgroupSet: Sendable {
  public let host: CgroupHost
  /// The cgroup path relative to each hierarchy root, e.g. "/drydock/abc".
  public let path: String
  /// hull (cgroupfs) or a systemd unit (--systemd-cgroup) makes and removes it.
  public let manager: CgroupManager

  public init(host: CgroupHost, path: String, manager: CgroupManager = .cgroupfs) {
    self.host = host
    self.path = Paths.clean("/" + path)
    self.manager = manager
  }

  public var isSystemdManaged: Bool { manager != .cgroupfs }

  /// Directories of this cgroup, one per hierarchy (v1 first, then unified).
  public var directories: [String] {
    var dirs = host.v1.map { Paths.join($0.mountPoint, path) }
    if let unified = host.unifiedMountPoint { dirs.append(Paths.join(unified, path)) }
    return dirs
  }

  public func directory(controller: String) -> String? {
    host.hierarchy(for: controller).map { Paths.join($0.mountPoint, path) }
  }

  public var unifiedDirectory: String? { host.unifiedMountPoint.map { Paths.join($0, path) } }

  /// The levels `create` would make now (those missing, parents first): recorded before
  /// creating them, so that a runtime killed mid-create leaves nothing `delete --force`
  /// cannot find. A level a sibling makes in between is not ours and survives its rmdir
  /// (EBUSY/ENOTEMPTY while in use).
  public func missingDirectories() -> [String] {
    var roots = host.v1.map(\.mountPoint)
    if let unified = host.unifiedMountPoint { roots.append(unified) }
    var missing: [String] = []
    for root in roots {
      var current = root
      var parentMissing = false
      for component in path.split(separator: "/") {
        current += "/" + component
        // Below a missing level nothing exists: no access() for it.
        if parentMissing || access(current, F_OK) != 0 {
          missing.append(current)
          parentMissing = true
        }
      }
    }
    return missing
  }

  /// Creates every missing level in every hierarchy; returns the directories created,
  /// parents before children, so that removal can undo exactly these and nothing else.
  public func create() throws(CgroupError) -> [String] {
    var created: [String] = []
    do {
      for hierarchy in host.v1 {
        try createLevels(root: hierarchy.mountPoint, cpuset: hierarchy.controllers.contains("cpuset"), into: &created)
      }
      if let unified = host.unifiedMountPoint {
        try createLevels(root: unified, cpuset: false, into: &created)
      }
      try driver.prepare()
    } catch {
      CgroupSet.remove(created)
      throw error
    }
    return created
  }

  /// A parent seen as existing can be removed by a sibling container's delete before our
  /// child directory is made (ENOENT): start again from the root, a few times.
  private func createLevels(root: String, cpuset: Bool, into created: inout [String]) throws(CgroupError) {
    var attempt = 0
    while true {
      do {
        try createLevelsOnce(root: root, cpuset: cpuset, into: &created)
        return
      } catch {
        attempt += 1
        if error.errno != ENOENT || attempt >= 5 { throw error }
      }
    }
  }

  private func createLevelsOnce(root: String, cpuset: Bool, into created: inout [String]) throws(CgroupError) {
    var current = root
    var parentCpuset: [String]?  // the level above's cpus and mems, once this walk read or wrote them
    for component in path.split(separator: "/") {
      let parent = current
      current = current + "/" + component
      let made = mkdir(current, 0o755) == 0
      if made {
        created.append(current)
      } else if errno != EEXIST {
        throw CgroupError("create cgroup", current, errno: errno)
      }
      // A v1 cpuset cgroup starts with empty cpus and mems and no task could join it; a
      // parent made by another tool may be empty too. Fill each empty level from its
      // parent on the way down, as runc does (only empty values are ever written).
      if cpuset {
        parentCpuset = try CgroupSet.inheritCpuset(
          parent: parent, child: current, childIsNew: made, parentValues: parentCpuset)
      }
    }
  }

  /// Fills the child's empty cpuset.cpus and cpuset.mems from its parent; returns the child's
  /// values. A level this walk just made is empty (not read back), and the parent's values,
  /// when the walk already knows them, are not read again.
  static func inheritCpuset(
    parent: String, child: String, childIsNew: Bool = false,
    parentValues: [String]? = nil
  ) throws(CgroupError) -> [String] {
    func firstLine(_ file: String) -> String {
      (Files.readIfPresent(file) ?? "").split(separator: "\n").first.map(String.init) ?? ""
    }
    var values: [String] = []
    for (i, file) in ["cpuset.cpus", "cpuset.mems"].enumerated() {
      let current = childIsNew ? "" : firstLine(child + "/" + file)
      if !current.isEmpty {
        values.append(current)
        continue
      }
      let value = parentValues?[i] ?? firstLine(parent + "/" + file)
      if !value.isEmpty { try write(child + "/" + file, value) }
      values.append(value)
    }
    return values
  }

  /// Moves `pid` into this cgroup in every hierarchy.
  /// `placedInUnified`: clone3(CLONE_INTO_CGROUP) already put it in the unified hierarchy.
  public func attach(pid: Int32, placedInUnified: Bool = false) throws(CgroupError) {
    let skip = placedInUnified ? unifiedDirectory : nil
    for dir in directories where dir != skip {
      try CgroupSet.write(dir + "/cgroup.procs", String(pid))
    }
  }

  /// exec --cgroup, as runc: `pid` into existing sub-cgroups of this one. `subPaths` maps a
  /// v1 controller to a path relative to this cgroup; the key "" covers every other
  /// hierarchy (and the unified one). A path that climbs out (..) is refused.
  public func attach(pid: Int32, subPaths: [String: String]) throws(CgroupError) {
    for (controller, sub) in subPaths where sub.split(separator: "/").contains("..") {
      throw CgroupError(
        "exec --cgroup \(controller.isEmpty ? "" : controller + ":")\(sub)", "", errno: EINVAL_,
        detail: "the sub-cgroup must stay inside the container's cgroup (no ..)")
    }
    var targets = host.v1.map { hierarchy in
      (hierarchy.mountPoint, hierarchy.controllers.lazy.compactMap { subPaths[$0] }.first ?? subPaths[""])
    }
    if let unified = host.unifiedMountPoint { targets.append((unified, subPaths[""])) }
    for (root, sub) in targets {
      let dir = Paths.join(Paths.join(root, path), sub ?? "")
      guard access(dir, F_OK) == 0 else {
        throw CgroupError("exec --cgroup", dir, errno: ENOENT_, detail: "no such sub-cgroup")
      }
      try CgroupSet.write(dir + "/cgroup.procs", String(pid))
    }
  }

  /// Host pids in the cgroup (read from the first hierarchy that has it).
  public func pids() -> [Int32] {
    for dir in directories {
      if let text = Files.readIfPresent(dir + "/cgroup.procs") {
        return text.split(separator: "\n").compactMap { Int32($0) }
      }
    }
    return []
  }

  /// Removes exactly the directories `create` made, children first, and below the
  /// container's own cgroup (the deepest one made) the child cgroups its processes made,
  /// as runc and crun do. A directory that still holds dying tasks (EBUSY) is retried
  /// briefly: 1 s for all of them together, as one still in use by another container's
  /// processes stays busy in every hierarchy.
  public static func remove(_ created: [String]) {
    var budget = 200
    for dir in created.reversed() {
      // rmdir first: a cgroup with children (or tasks) is EBUSY, and only then are its
      // children listed (5 syscalls per hierarchy saved in the common, childless case).
      if rmdir(dir) == 0 || errno == ENOENT { continue }
      let isContainerCgroup = !created.contains { $0.hasPrefix(dir + "/") }
      if isContainerCgroup { removeChildren(of: dir, budget: &budget) }
      removeDirectory(dir, budget: &budget)
    }
  }

  static func removeChildren(of dir: String, budget: inout Int) {
    guard let stream = opendir(dir) else { return }
    var children: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if entry.pointee.d_type == UInt8(DT_DIR), name != ".", name != ".." { children.append(dir + "/" + name) }
    }
    closedir(stream)
    for child in children {
      removeChildren(of: child, budget: &budget)
      removeDirectory(child, budget: &budget)
    }
  }

  /// rmdir, retried every 5 ms on EBUSY while the shared budget of retries lasts.
  static func removeDirectory(_ dir: String, budget: inout Int) {
    while rmdir(dir) != 0 && errno == EBUSY && budget > 0 {
      budget -= 1
      usleep(5000)
    }
  }

  static func write(_ file: String, _ value: String) throws(CgroupError) {
    try CgroupFiles.write(Paths.dirname(file), Paths.basename(file), value, field: nil)
  }
}
