// BundleFactory: OCI bundles (config.json + rootfs) made from the busybox template, cheaply and many times.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How bundle/rootfs is made, measured here (busybox rootfs, ~400 applet symlinks):
/// - bindMountReadOnly: a read-only bind mount of the cached rootfs; make ~3 ms, remove ~0.3 ms.
/// - hardlinkCopy: directories made, files hard-linked, symlinks recreated; make ~150-200 ms, remove ~3.5 ms
///   (writes to existing files reach the cache!).
/// - fullCopy: an independent copy, for cases that write to the rootfs; make ~80-140 ms, remove ~4 ms.
///
/// The copies are slow because symlink(2) costs ~0.36 ms each on this machine's /tmp; prefer the bind mount
/// whenever root.readonly can stay true.
public enum RootfsStrategy: String, Sendable, CaseIterable {
  case bindMountReadOnly, hardlinkCopy, fullCopy
}

/// Named OCIBundle, not Bundle: that name clashes with Foundation.Bundle.
public struct OCIBundle: Sendable, Hashable {
  public var path: String
  public var rootfs: String
  public var configPath: String
  public var strategy: RootfsStrategy
}

/// Not Sendable: one per thread or suite.
public final class BundleFactory {
  public let workDirectory: String
  public let templatePath: String
  public let makeRootfsScript: String
  public var defaultStrategy: RootfsStrategy
  private var cachedRootfs: String?
  private var templateData: Data?
  private var bundles: [String: OCIBundle] = [:]

  /// nil paths: <repository>/bundles/busybox/config.json and <repository>/bundles/make-rootfs.
  public init(
    workDirectory: String, templatePath: String? = nil, makeRootfsScript: String? = nil,
    defaultStrategy: RootfsStrategy = .bindMountReadOnly
  ) throws {
    let repository = Self.repositoryRoot()
    guard let template = templatePath ?? repository.map({ $0 + "/bundles/busybox/config.json" }),
      let script = makeRootfsScript ?? repository.map({ $0 + "/bundles/make-rootfs" })
    else {
      throw HarnessError(
        .kit, operation: "find repository", message: "cannot locate bundles/; set DRYDOCK_REPO or pass the paths")
    }
    self.workDirectory = workDirectory
    self.templatePath = template
    self.makeRootfsScript = script
    self.defaultStrategy = defaultStrategy
    do {
      try FileManager.default.createDirectory(atPath: workDirectory + "/bundles", withIntermediateDirectories: true)
    } catch { throw HarnessError(.kit, operation: "mkdir", path: workDirectory + "/bundles", message: "\(error)") }
  }

  deinit { removeAll() }

  /// $DRYDOCK_REPO, else up from the current directory, else up from this source file.
  public static func repositoryRoot() -> String? {
    func isRepository(_ dir: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/bundles/make-rootfs") }
    if let fromEnvironment = ProcessInfo.processInfo.environment["DRYDOCK_REPO"], isRepository(fromEnvironment) {
      return fromEnvironment
    }
    for start in [FileManager.default.currentDirectoryPath, String(#filePath)] {
      var url = URL(fileURLWithPath: start)
      while url.path != "/" {
        if isRepository(url.path) { return url.path }
        url.deleteLastPathComponent()
      }
    }
    return nil
  }

  /// Built once (bundles/make-rootfs) into workDirectory/rootfs-cache.
  public func rootfsCache() throws -> String {
    if let cachedRootfs { return cachedRootfs }
    let path = workDirectory + "/rootfs-cache"
    if !FileManager.default.fileExists(atPath: path + "/bin/busybox") {
      let result = try ProcessRunner.run(["/bin/sh", makeRootfsScript, path], timeout: 120)
      guard result.succeeded else {
        throw HarnessError(.kit, operation: "make-rootfs", path: path, message: result.summary)
      }
    }
    cachedRootfs = path
    return path
  }

  /// The template config, freshly loaded (from cached bytes).
  public func template() throws -> ConfigTree {
    if templateData == nil {
      guard let data = FileManager.default.contents(atPath: templatePath) else {
        throw HarnessError(
          .kit, operation: "read template", path: templatePath, errno: ENOENT, message: "cannot read file")
      }
      templateData = data
    }
    return try ConfigTree(jsonData: templateData!)
  }

  /// workDirectory/bundles/<name>, with config.json written.
  public func makeBundle(name: String, config: ConfigTree, strategy: RootfsStrategy? = nil) throws -> OCIBundle {
    let strategy = strategy ?? defaultStrategy
    let cache = try rootfsCache()
    let directory = workDirectory + "/bundles/" + name
    let rootfs = directory + "/rootfs"
    if bundles[directory] != nil { try removeBundle(bundles[directory]!) }
    guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
      throw HarnessError.posix(.kit, "mkdir", path: directory, errno: errno)
    }
    let bundle = OCIBundle(path: directory, rootfs: rootfs, configPath: directory + "/config.json", strategy: strategy)
    bundles[directory] = bundle
    switch strategy {
    case .bindMountReadOnly:
      guard mkdir(rootfs, 0o755) == 0 || errno == EEXIST else {
        throw HarnessError.posix(.kit, "mkdir", path: rootfs, errno: errno)
      }
      guard mount(cache, rootfs, nil, UInt(MS_BIND), nil) == 0 else {
        throw HarnessError.posix(.kit, "mount --bind", path: rootfs, errno: errno)
      }
      // A bind mount takes its read-only flag only on a remount.
      guard mount(nil, rootfs, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil) == 0 else {
        let code = errno
        umount2(rootfs, Int32(MNT_DETACH))
        throw HarnessError.posix(.kit, "mount -o remount,bind,ro", path: rootfs, errno: code)
      }
    case .hardlinkCopy:
      try Self.copyTree(from: cache, to: rootfs, hardlink: true)
    case .fullCopy:
      try Self.copyTree(from: cache, to: rootfs, hardlink: false)
    }
    try config.write(to: bundle.configPath)
    return bundle
  }

  /// Unmounts (lazily) and deletes the directory.
  public func removeBundle(_ bundle: OCIBundle) throws {
    // A container without a mount namespace of its own leaves its mounts (proc, the shared
    // directory, runc's bind of the rootfs on itself) in ours, as runc and crun do: detach them.
    Self.detachMounts(under: bundle.rootfs)
    if bundle.strategy == .bindMountReadOnly {
      if umount2(bundle.rootfs, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
        throw HarnessError.posix(.kit, "umount", path: bundle.rootfs, errno: errno)
      }
    }
    bundles[bundle.path] = nil
    do { try FileManager.default.removeItem(atPath: bundle.path) } catch {
      throw HarnessError(.kit, operation: "remove bundle", path: bundle.path, message: "\(error)")
    }
  }

  /// Mount points at or below `path` in our namespace, deepest first, detached.
  static func detachMounts(under path: String) {
    // Read to the end: String(contentsOfFile:) stops at the first page of a /proc file.
    guard let data = try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/mountinfo")).readToEnd() else {
      return
    }
    let text = String(decoding: data, as: UTF8.self)
    let points = text.split(separator: "\n").compactMap { line -> String? in
      let fields = line.split(separator: " ")
      guard fields.count > 4 else { return nil }
      let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
      return point == path || point.hasPrefix(path + "/") ? point : nil
    }
    for point in points.sorted(by: { $0.count > $1.count }) { umount2(point, Int32(MNT_DETACH)) }
  }

  /// Every bundle made and the rootfs cache; also called on deinit.
  public func removeAll() {
    for bundle in bundles.values { try? removeBundle(bundle) }
    if let cachedRootfs { try? FileManager.default.removeItem(atPath: cachedRootfs) }
    cachedRootfs = nil
  }

  /// Recreate `source` at `destination`: directories with their modes, symlinks as symlinks,
  /// regular files hard-linked (same inode) or copied.
  static func copyTree(from source: String, to destination: String, hardlink: Bool) throws {
    var info = stat()
    guard lstat(source, &info) == 0 else { throw HarnessError.posix(.kit, "lstat", path: source, errno: errno) }
    guard mkdir(destination, info.st_mode & 0o7777) == 0 || errno == EEXIST else {
      throw HarnessError.posix(.kit, "mkdir", path: destination, errno: errno)
    }
    chmod(destination, info.st_mode & 0o7777)  // mkdir applies the umask; /tmp needs its 1777
    let entries: [String]
    do { entries = try FileManager.default.contentsOfDirectory(atPath: source) } catch {
      throw HarnessError(.kit, operation: "readdir", path: source, message: "\(error)")
    }
    for entry in entries {
      let from = source + "/" + entry
      let to = destination + "/" + entry
      guard lstat(from, &info) == 0 else { throw HarnessError.posix(.kit, "lstat", path: from, errno: errno) }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        try copyTree(from: from, to: to, hardlink: hardlink)
      case S_IFLNK:
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(from, &target, target.count - 1)
        guard n >= 0 else { throw HarnessError.posix(.kit, "readlink", path: from, errno: errno) }
        target[n] = 0
        guard symlink(target, to) == 0 else { throw HarnessError.posix(.kit, "symlink", path: to, errno: errno) }
      default:
        if hardlink {
          guard link(from, to) == 0 else { throw HarnessError.posix(.kit, "link", path: to, errno: errno) }
        } else {
          do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
            throw HarnessError(.kit, operation: "copy", path: to, message: "\(error)")
          }
          chmod(to, info.st_mode & 0o7777)
        }
      }
    }
  }
}
