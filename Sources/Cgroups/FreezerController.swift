import Glibc
import LinuxKit

extension CgroupSet {
  /// Freezes (pause) or thaws (resume) every task; waits until v1 reports FROZEN.
  public func setFrozen(_ frozen: Bool) throws(CgroupError) {
    if let dir = directory(controller: "freezer") {
      let file = dir + "/freezer.state"
      try CgroupSet.write(file, frozen ? "FROZEN" : "THAWED")
      var attempts = 0
      while frozen, attempts < 1000 {
        let state = (Files.readIfPresent(file) ?? "").split(separator: "\n").first ?? ""
        if state == "FROZEN" { return }
        attempts += 1
        usleep(1000)
      }
      if frozen { throw CgroupError("freeze", file, errno: EBUSY, detail: "tasks did not freeze within 1 s") }
    } else if let dir = unifiedDirectory, Files.exists(dir + "/cgroup.freeze") {
      try CgroupSet.write(dir + "/cgroup.freeze", frozen ? "1" : "0")
    } else {
      throw CgroupError(frozen ? "pause" : "resume", path, errno: ENOTSUP, detail: "no freezer controller is mounted")
    }
  }

  public var isFrozen: Bool {
    if let dir = directory(controller: "freezer") {
      return (Files.readIfPresent(dir + "/freezer.state") ?? "").hasPrefix("FROZEN")
    }
    if let dir = unifiedDirectory, let text = Files.readIfPresent(dir + "/cgroup.freeze") {
      return text.hasPrefix("1")
    }
    return false
  }
}
