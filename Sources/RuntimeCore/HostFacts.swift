import Capabilities
import Cgroups
import Glibc
import LinuxKit

/// What the planners read from the host besides the spec and the options: one input, so that
/// a plan is a function of its arguments (PlannerTests give their own host). `LiveHost` reads
/// this machine, each fact when asked: a plan asks for few of them.
public protocol HostFacts {
  /// How this host mounts cgroups.
  var cgroupHost: CgroupHost { get }
  var apparmorEnabled: Bool { get }
  var selinuxEnabled: Bool { get }
  /// The highest capability number the kernel knows (CAP_LAST_CAP).
  var lastCapability: Int32 { get }
  /// Whether this process's bounding set holds capability `number` (one the container can get).
  func inBoundingSet(_ number: Int32) -> Bool
  /// Whether `path` (a bind mount's source, links followed) is a directory; nil when nothing is there.
  func isDirectory(_ path: String) -> Bool?
  /// Whether `path` exists (a cgroup control file a limit needs).
  func exists(_ path: String) -> Bool
}

/// This machine.
public struct LiveHost: HostFacts {
  public init() {}

  public var cgroupHost: CgroupHost { CgroupHost.current() }
  public var apparmorEnabled: Bool {
    (Files.readIfPresent("/sys/module/apparmor/parameters/enabled") ?? "").hasPrefix("Y")
  }
  public var selinuxEnabled: Bool { Files.exists("/sys/fs/selinux/enforce") }
  public var lastCapability: Int32 { CapabilityPlan.hostLastCapability }
  public func inBoundingSet(_ number: Int32) -> Bool { CapabilityPlan.inHostBoundingSet(number) }
  public func isDirectory(_ path: String) -> Bool? {
    guard let st = LinuxSyscalls().stat(path) else { return nil }
    return (st.st_mode & S_IFMT) == S_IFDIR
  }
  public func exists(_ path: String) -> Bool { Files.exists(path) }
}
