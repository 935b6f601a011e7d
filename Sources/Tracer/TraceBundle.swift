// TraceBundle: a private copy of the user's bundle for one traced run: its config.json with an absolute rootfs
// path (the rootfs itself is shared, not copied), a cgroupsPath of drydock's own and optional changes
// (process args, a seccomp profile); plus the runtime's --root state directory. remove() undoes all of it.
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The copy exists because the host's rule is an absolute cgroupsPath of the caller's own for every container
/// (see docs/host.md): a user's bundle without one would land in drydock's own cgroup.
public final class TraceBundle {
  /// The bundle directory (holding config.json) the copies are made from.
  public let source: String
  public let path: String
  public let stateRoot: String
  public let cgroupPrefix: String
  public let original: ConfigTree
  private let rootfs: String
  private var removed = false

  public init(source: String, label: String = "drydock-trace") throws {
    let absolute = source.hasPrefix("/") ? source : FileManager.default.currentDirectoryPath + "/" + source
    self.source = absolute
    original = try Self.readConfig(absolute + "/config.json")
    guard let root = original.value(at: ["root", "path"]) as? String else {
      throw HarnessError(
        .tracer, operation: "read bundle", path: absolute + "/config.json", errno: EINVAL, message: "no root.path")
    }
    rootfs = root.hasPrefix("/") ? root : absolute + "/" + root
    guard FileManager.default.fileExists(atPath: rootfs) else {
      throw HarnessError(
        .tracer, operation: "read bundle", path: rootfs, errno: ENOENT, message: "the bundle's rootfs does not exist")
    }
    var template = "/tmp/\(label)-XXXXXX".utf8CString
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw HarnessError(
        .tracer, operation: "mkdtemp", path: "/tmp", errno: errno, message: String(cString: strerror(errno)))
    }
    path = String(cString: made)
    stateRoot = path + "/state"
    cgroupPrefix = CgroupCleaner.uniquePrefix(label)
  }

  deinit { remove() }

  private static func readConfig(_ file: String) throws -> ConfigTree {
    do { return try ConfigTree(contentsOfFile: file) } catch {
      throw HarnessError(.tracer, operation: "read bundle", path: file, errno: ENOENT, message: "\(error)")
    }
  }

  /// The seccomp profile is the `linux.seccomp` object; nil leaves the bundle's own (if any).
  /// Writes <path>/<id>/config.json and returns that bundle directory.
  public func makeConfig(
    id: String, args: [String]? = nil, seccomp: [String: Any]? = nil,
    removeSeccomp: Bool = false
  ) throws -> String {
    var config = original
    let directory = path + "/" + id
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try config.set(["root", "path"], to: rootfs)
      try config.setCgroupsPath(cgroupPrefix + "/" + id)
      if let args { try config.setArgs(args) }
      if removeSeccomp { try config.remove(["linux", "seccomp"]) }
      if let seccomp { try config.set(["linux", "seccomp"], to: seccomp) }
      try config.write(to: directory + "/config.json")
    } catch {
      throw HarnessError(
        .tracer, operation: "write bundle", path: directory + "/config.json", errno: EIO, message: "\(error)")
    }
    return directory
  }

  /// The bundle copies, the state, and every cgroup under the prefix (their processes killed).
  public func remove() {
    guard !removed else { return }
    removed = true
    if let cleaner = try? CgroupCleaner(prefix: cgroupPrefix) { _ = cleaner.removeAll(killTimeout: 5) }
    try? FileManager.default.removeItem(atPath: path)
  }
}
