// SyscallTable: syscall numbers <-> names of the host architecture, and the "key" syscalls the timeline shows.
import CBPF
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct SyscallTable: Sendable {
  public let names: [String]
  /// libseccomp's names of the host's ABIs, for a seccomp profile.
  public let architectures: [String]
  private let numbers: [String: Int]

  public init(names: [String], architectures: [String]) {
    self.names = names
    self.architectures = architectures
    var numbers: [String: Int] = [:]
    for (nr, name) in names.enumerated() where !name.isEmpty { numbers[name] = nr }
    self.numbers = numbers
  }

  /// x86_64: the built-in table; other machines: parsed from <asm/unistd*.h>.
  public static func host() -> SyscallTable {
    var names = utsname()
    uname(&names)
    let machine = withUnsafeBytes(of: names.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    if machine == "x86_64" {
      return SyscallTable(
        names: X86_64Syscalls.names, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    }
    // aarch64 uses the generic table; parse it when the headers are installed.
    var parsed: [Int: String] = [:]
    for header in ["/usr/include/asm-generic/unistd.h", "/usr/include/aarch64-linux-gnu/asm/unistd.h"] {
      guard let text = try? String(contentsOfFile: header, encoding: .utf8) else { continue }
      for line in text.split(separator: "\n")
      where line.hasPrefix("#define __NR_") || line.hasPrefix("#define __NR3264_") {
        let parts = line.split(separator: " ")
        guard parts.count >= 3, let nr = Int(parts[2]) else { continue }
        let name = parts[1].replacingOccurrences(of: "__NR3264_", with: "").replacingOccurrences(of: "__NR_", with: "")
        parsed[nr] = parsed[nr] ?? name
      }
    }
    let top = parsed.keys.max() ?? 0
    return SyscallTable(
      names: (0...top).map { parsed[$0] ?? "" }, architectures: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
  }

  /// "syscall_<nr>" when unknown.
  public func name(_ nr: Int) -> String {
    nr >= 0 && nr < names.count && !names[nr].isEmpty ? names[nr] : "syscall_\(nr)"
  }

  public func number(_ name: String) -> Int? { numbers[name] }
}

public enum KeySyscalls {
  /// The calls that shape a container start. The value is the argument to copy as a string (-1: none):
  /// mount's target, pivot_root's new root, execve's path, ...
  public static let stringArgument: [String: Int8] = [
    "clone": -1, "clone3": -1, "fork": -1, "vfork": -1, "unshare": -1, "setns": -1,
    "mount": 1, "umount2": 0, "move_mount": 3, "open_tree": 1, "fsopen": 0, "fsmount": -1, "mount_setattr": 1,
    "pivot_root": 0, "chroot": 0, "execve": 0, "execveat": 1, "seccomp": -1, "sethostname": 0,
  ]

  public static func table(_ syscalls: SyscallTable) -> [Int: dd_key] {
    var table: [Int: dd_key] = [:]
    for (name, argument) in stringArgument {
      guard let nr = syscalls.number(name) else { continue }
      table[nr] = dd_key(key: 1, str_arg: argument, clone3: name == "clone3" ? 1 : 0, pad: 0)
    }
    return table
  }
}
