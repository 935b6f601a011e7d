// Host facts for the planners' unit tests: a host that is not this machine.
import Cgroups
import RuntimeCore

struct FakeHost: HostFacts {
  var cgroupHost = CgroupHost(root: "/nonexistent/cgroup", mode: .unified)
  var apparmorEnabled = false
  var selinuxEnabled = false
  var lastCapability: Int32 = 40
  var boundingSet: [Int32] = Array(0...40)
  /// Paths that are directories, and paths that are other files; anything else is missing.
  var directories: [String] = []
  var files: [String] = []

  func inBoundingSet(_ number: Int32) -> Bool { boundingSet.contains(number) }
  func isDirectory(_ path: String) -> Bool? { directories.contains(path) ? true : (files.contains(path) ? false : nil) }
  func exists(_ path: String) -> Bool { directories.contains(path) || files.contains(path) }
}
