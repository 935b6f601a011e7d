import CLinux
import Glibc

/// mount(2) and friends, with errors naming the target.
public enum Mounts {
  public static func mount(
    source: String?, target: String, type: String?, flags: UInt, data: String? = nil, label: String? = nil
  ) throws(SystemError) {
    let rc = Glibc.mount(source, target, type, flags, data)
    if rc != 0 {
      throw SystemError("mount \(type ?? "bind")\(source.map { " " + $0 } ?? "") on", label ?? target)
    }
  }

  public static func unmount(_ target: String, flags: Int32 = Int32(MNT_DETACH)) throws(SystemError) {
    _ = try check("umount", target) { umount2(target, flags) }
  }

  public static func pivotRoot(_ newRoot: String, _ putOld: String) throws(SystemError) {
    _ = try check("pivot_root", newRoot) { hk_pivot_root(newRoot, putOld) }
  }

  /// Mount flags from the options of config.md; the rest goes to the file system as data.
  public struct ParsedOptions: Sendable {
    public var flags: UInt = 0
    public var clearFlags: UInt = 0
    public var propagation: [UInt] = []
    public var recursiveSet: UInt = 0   // MOUNT_ATTR_* for mount_setattr (rro, rnosuid, ...)
    public var data: [String] = []
    public var isBind: Bool { flags & UInt(MS_BIND) != 0 }
    public init() {}
  }

  public static func parse(options: [String]) -> ParsedOptions {
    var parsed = ParsedOptions()
    for option in options {
      if let (set, flag) = flagTable[option] {
        if set { parsed.flags |= flag } else { parsed.flags &= ~flag; parsed.clearFlags |= flag }
      } else if let propagation = propagationTable[option] {
        parsed.propagation.append(propagation)
      } else if let attr = recursiveAttrTable[option] {
        parsed.recursiveSet |= attr
      } else {
        parsed.data.append(option)
      }
    }
    return parsed
  }

  static let flagTable: [String: (Bool, UInt)] = [
    "defaults": (true, 0), "ro": (true, UInt(MS_RDONLY)), "rw": (false, UInt(MS_RDONLY)),
    "suid": (false, UInt(MS_NOSUID)), "nosuid": (true, UInt(MS_NOSUID)),
    "dev": (false, UInt(MS_NODEV)), "nodev": (true, UInt(MS_NODEV)),
    "exec": (false, UInt(MS_NOEXEC)), "noexec": (true, UInt(MS_NOEXEC)),
    "sync": (true, UInt(MS_SYNCHRONOUS)), "async": (false, UInt(MS_SYNCHRONOUS)),
    "dirsync": (true, UInt(MS_DIRSYNC)), "remount": (true, UInt(MS_REMOUNT)),
    "mand": (true, UInt(MS_MANDLOCK)), "nomand": (false, UInt(MS_MANDLOCK)),
    "atime": (false, UInt(MS_NOATIME)), "noatime": (true, UInt(MS_NOATIME)),
    "diratime": (false, UInt(MS_NODIRATIME)), "nodiratime": (true, UInt(MS_NODIRATIME)),
    "bind": (true, UInt(MS_BIND)), "rbind": (true, UInt(MS_BIND) | UInt(MS_REC)),
    "relatime": (true, UInt(MS_RELATIME)), "norelatime": (false, UInt(MS_RELATIME)),
    "strictatime": (true, UInt(MS_STRICTATIME)), "nostrictatime": (false, UInt(MS_STRICTATIME)),
    "silent": (true, UInt(MS_SILENT)), "loud": (false, UInt(MS_SILENT)),
    "lazytime": (true, UInt(1 << 25)), "nolazytime": (false, UInt(1 << 25)),
    "iversion": (true, UInt(1 << 23)), "noiversion": (false, UInt(1 << 23)),
  ]

  public static let propagationTable: [String: UInt] = [
    "private": UInt(MS_PRIVATE), "rprivate": UInt(MS_PRIVATE) | UInt(MS_REC),
    "shared": UInt(MS_SHARED), "rshared": UInt(MS_SHARED) | UInt(MS_REC),
    "slave": UInt(MS_SLAVE), "rslave": UInt(MS_SLAVE) | UInt(MS_REC),
    "unbindable": UInt(MS_UNBINDABLE), "runbindable": UInt(MS_UNBINDABLE) | UInt(MS_REC),
  ]

  // MOUNT_ATTR_RDONLY 0x1, NOSUID 0x2, NODEV 0x4, NOEXEC 0x8, NOATIME 0x10, STRICTATIME 0x20, NODIRATIME 0x80
  static let recursiveAttrTable: [String: UInt] = [
    "rro": 0x1, "rnosuid": 0x2, "rnodev": 0x4, "rnoexec": 0x8, "rnoatime": 0x10,
    "rstrictatime": 0x20, "rnodiratime": 0x80,
  ]
}
