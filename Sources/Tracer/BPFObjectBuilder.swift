// BPFObjectBuilder: finds or compiles trace/drydock_trace.bpf.c into <repository>/.build/bpf/ on first use,
// and Preflight: the checks that turn "BPF failed" into a reason (not root, no BTF, no clang).
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum Preflight {
  public static let defaultBTFPath = "/sys/kernel/btf/vmlinux"

  /// Root, and the kernel's BTF present.
  public static func check(uid: uid_t = getuid(), btfPath: String = defaultBTFPath) throws {
    guard uid == 0 else {
      throw HarnessError(
        .tracer, operation: "preflight", errno: EPERM,
        message: "drydock trace needs root (loading BPF and running containers): run it as root")
    }
    guard access(btfPath, R_OK) == 0 else {
      throw HarnessError(
        .tracer, operation: "preflight", path: btfPath, errno: ENOENT,
        message:
          "no kernel BTF: the tracer relocates against it (CO-RE); needs a kernel built with CONFIG_DEBUG_INFO_BTF=y")
    }
  }
}

/// The object is compiled, never committed: SwiftPM has no plugin here, and compiling on demand keeps the
/// build of every other target free of a BPF toolchain.
public enum BPFObjectBuilder {
  public static let sourceName = "drydock_trace.bpf.c"

  /// <repository>/trace ($DRYDOCK_REPO, or found from the current directory).
  public static func sourceDirectory() -> String? {
    guard let root = BundleFactory.repositoryRoot() else { return nil }
    let directory = root + "/trace"
    return FileManager.default.fileExists(atPath: directory + "/" + sourceName) ? directory : nil
  }

  /// $DRYDOCK_BPF_OBJECT if set; else the cached object named by a hash of the sources, compiled when missing
  /// with the first clang that targets bpf: $DRYDOCK_BPF_CLANG, clang in PATH, /usr/bin/clang,
  /// /opt/swift/usr/bin/clang. No clang: a HarnessError naming what was tried.
  public static func objectPath(sourceDirectory: String? = nil, cacheDirectory: String? = nil) throws -> String {
    let environment = ProcessInfo.processInfo.environment
    if let prebuilt = environment["DRYDOCK_BPF_OBJECT"], !prebuilt.isEmpty {
      guard FileManager.default.fileExists(atPath: prebuilt) else {
        throw HarnessError(
          .tracer, operation: "find BPF object", path: prebuilt, errno: ENOENT,
          message: "DRYDOCK_BPF_OBJECT names no file")
      }
      return prebuilt
    }
    guard let source = sourceDirectory ?? Self.sourceDirectory() else {
      throw HarnessError(
        .tracer, operation: "find BPF source", errno: ENOENT,
        message: "cannot find trace/\(sourceName): run from the repository or set DRYDOCK_REPO")
    }
    let cache = cacheDirectory ?? (URL(fileURLWithPath: source).deletingLastPathComponent().path + "/.build/bpf")
    let hash = try sourceHash(source)
    let object = "\(cache)/drydock_trace-\(hash).bpf.o"
    if FileManager.default.fileExists(atPath: object) { return object }
    do { try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true) } catch {
      throw HarnessError(.tracer, operation: "mkdir", path: cache, errno: EACCES, message: "\(error)")
    }
    try compile(sourceDirectory: source, output: object)
    return object
  }

  /// The object is named by its inputs, so an edited source is recompiled and stale objects are never used.
  static func sourceHash(_ directory: String) throws -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for name in [sourceName, "drydock_trace.h", "drydock_trace_helpers.h"] {
      guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
        throw HarnessError(
          .tracer, operation: "read BPF source", path: directory + "/" + name, errno: ENOENT, message: "missing")
      }
      for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
    // vmlinux.h is large and generated: its size stands in for its content.
    let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/vmlinux.h")
    hash = (hash ^ UInt64((attributes?[.size] as? Int) ?? 0)) &* 0x100_0000_01b3
    return String(hash, radix: 16)
  }

  static func candidateCompilers() -> [String] {
    var list: [String] = []
    if let chosen = ProcessInfo.processInfo.environment["DRYDOCK_BPF_CLANG"], !chosen.isEmpty { list.append(chosen) }
    if let inPath = HostInfo.resolveExecutable("clang") { list.append(inPath) }
    list += ["/usr/bin/clang", "/opt/swift/usr/bin/clang"]
    var seen = Set<String>()
    return list.filter { seen.insert($0).inserted && FileManager.default.isExecutableFile(atPath: $0) }
  }

  static func architectureDefine() throws -> String {
    var names = utsname()
    uname(&names)
    let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    switch machine {
    case "x86_64": return "-D__TARGET_ARCH_x86"
    case "aarch64": return "-D__TARGET_ARCH_arm64"
    default:
      throw HarnessError(
        .tracer, operation: "compile BPF", errno: ENOTSUP, message: "architecture \(machine) is not supported")
    }
  }

  /// Objects of earlier sources: nothing names them any more.
  static func removeStaleObjects(keeping current: String) {
    let directory = URL(fileURLWithPath: current).deletingLastPathComponent().path
    let keep = URL(fileURLWithPath: current).lastPathComponent
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    where name.hasPrefix("drydock_trace-") && name.hasSuffix(".bpf.o") && name != keep {
      try? FileManager.default.removeItem(atPath: directory + "/" + name)
    }
  }

  static func compile(sourceDirectory: String, output: String) throws {
    let compilers = candidateCompilers()
    var failures: [String] = []
    let temporary = output + ".tmp-\(getpid())"
    for compiler in compilers {
      let argv = [
        compiler, "-g", "-O2", "-target", "bpf", try architectureDefine(), "-I", sourceDirectory,
        "-c", sourceDirectory + "/" + sourceName, "-o", temporary,
      ]
      let result = try ProcessRunner.run(argv, timeout: 120)
      if result.succeeded {
        // rename: a concurrent drydock never sees half an object.
        guard rename(temporary, output) == 0 else {
          throw HarnessError(
            .tracer, operation: "rename", path: output, errno: errno, message: String(cString: strerror(errno)))
        }
        removeStaleObjects(keeping: output)
        return
      }
      unlink(temporary)
      failures.append("\(compiler): \(result.stderrText.split(separator: "\n").prefix(3).joined(separator: " | "))")
    }
    throw HarnessError(
      .tracer, operation: "compile BPF", path: sourceDirectory + "/" + sourceName, errno: ENOENT,
      message: compilers.isEmpty
        ? "no clang found (tried $DRYDOCK_BPF_CLANG, PATH, /usr/bin/clang, /opt/swift/usr/bin/clang): install clang or set DRYDOCK_BPF_OBJECT"
        : "no clang could target bpf: " + failures.joined(separator: "; "))
  }
}
