import CLinux
import Glibc

/// Mount options of config.md as mount(2) flags (the calls themselves: Syscalls).
public enum Mounts {
  /// Mount flags from the options of config.md; the rest goes to the file system as data.
  public struct ParsedOptions: Sendable {
    public var flags: UInt = 0
    public var propagation: [UInt] = []
    public var recursiveSet: UInt = 0  // MOUNT_ATTR_* for mount_setattr (rro, rnosuid, ...)
    public var data: [String] = []
    public init() {}
  }

  public static func parse(options: [String]) -> ParsedOptions {
    var parsed = ParsedOptions()
    for option in options {
      if let (set, flag) = flag(option) {
        if set { parsed.flags |= flag } else { parsed.flags &= ~flag }
      } else if let propagation = propagation(option) {
        parsed.propagation.append(propagation)
      } else if let attr = recursiveAttribute(option) {
        parsed.recursiveSet |= attr
      } else {
        parsed.data.append(option)
      }
    }
    return parsed
  }

  // Switches rather than dictionaries: a Dictionary's first use on the start path costs a
  // protocol-conformance scan of the whole static binary (seen in profiles).

  /// (set?, MS_* flag) for the flag options of config.md.
  static func flag(_ option: String) -> (Bool, UInt)? {
    switch option {
    case "defaults": return (true, 0)
    case "ro": return (true, UInt(MS_RDONLY))
    case "rw": return (false, UInt(MS_RDONLY))
    case "suid": return (false, UInt(MS_NOSUID))
    case "nosuid": return (true, UInt(MS_NOSUID))
    case "dev": return (false, UInt(MS_NODEV))
    case "nodev": return (true, UInt(MS_NODEV))
    case "exec": return (false, UInt(MS_NOEXEC))
    case "noexec": return (true, UInt(MS_NOEXEC))
    case "sync": return (true, UInt(MS_SYNCHRONOUS))
    case "async": return (false, UInt(MS_SYNCHRONOUS))
    case "dirsync": return (true, UInt(MS_DIRSYNC))
    case "remount": return (true, UInt(MS_REMOUNT))
    case "mand": return (true, UInt(MS_MANDLOCK))
    case "nomand": return (false, UInt(MS_MANDLOCK))
    case "atime": return (false, UInt(MS_NOATIME))
    case "noatime": return (true, UInt(MS_NOATIME))
    case "diratime": return (false, UInt(MS_NODIRATIME))
    case "nodiratime": return (true, UInt(MS_NODIRATIME))
    case "bind": return (true, UInt(MS_BIND))
    case "rbind": return (true, UInt(MS_BIND) | UInt(MS_REC))
    case "relatime": return (true, UInt(MS_RELATIME))
    case "norelatime": return (false, UInt(MS_RELATIME))
    case "strictatime": return (true, UInt(MS_STRICTATIME))
    case "nostrictatime": return (false, UInt(MS_STRICTATIME))
    case "silent": return (true, UInt(MS_SILENT))
    case "loud": return (false, UInt(MS_SILENT))
    case "lazytime": return (true, UInt(1 << 25))
    case "nolazytime": return (false, UInt(1 << 25))
    case "iversion": return (true, UInt(1 << 23))
    case "noiversion": return (false, UInt(1 << 23))
    default: return nil
    }
  }

  /// MS_* propagation flags for "private", "rshared", ...
  public static func propagation(_ option: String) -> UInt? {
    switch option {
    case "private": return UInt(MS_PRIVATE)
    case "rprivate": return UInt(MS_PRIVATE) | UInt(MS_REC)
    case "shared": return UInt(MS_SHARED)
    case "rshared": return UInt(MS_SHARED) | UInt(MS_REC)
    case "slave": return UInt(MS_SLAVE)
    case "rslave": return UInt(MS_SLAVE) | UInt(MS_REC)
    case "unbindable": return UInt(MS_UNBINDABLE)
    case "runbindable": return UInt(MS_UNBINDABLE) | UInt(MS_REC)
    default: return nil
    }
  }

  /// MOUNT_ATTR_* for the recursive options (rro, rnosuid, ...), applied with mount_setattr.
  static func recursiveAttribute(_ option: String) -> UInt? {
    switch option {
    case "rro": return MountAttribute.readOnly
    case "rnosuid": return MountAttribute.noSUID
    case "rnodev": return MountAttribute.noDev
    case "rnoexec": return MountAttribute.noExec
    case "rnoatime": return MountAttribute.noAtime
    case "rstrictatime": return MountAttribute.strictAtime
    case "rnodiratime": return MountAttribute.noDiratime
    default: return nil
    }
  }
}

/// Detached mount trees (the new mount API): made on the host side by the launcher, moved in
/// place by the init (Syscalls.moveMount).
public enum MountTree {
  /// open_tree(path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC [| AT_RECURSIVE]): a detached copy of
  /// the mount at `path`; -1 + errno.
  public static func clone(_ path: String, recursive: Bool) -> Int32 { hk_open_tree_clone(path, recursive ? 1 : 0) }

  /// mount_setattr(MOUNT_ATTR_IDMAP) with the user namespace `userNamespace`; -1 + errno.
  public static func setIDMap(_ tree: Int32, userNamespace: Int32, recursive: Bool) -> Int32 {
    hk_mount_setattr_idmap(tree, userNamespace, recursive ? 1 : 0)
  }

  /// A detached one-file tree holding a new device node (`mode` includes S_IFCHR or S_IFBLK)
  /// owned by uid:gid (host ids), made on a tmpfs of its own; -1 + errno.
  public static func deviceNode(mode: UInt32, major: UInt32, minor: UInt32, uid: UInt32, gid: UInt32) -> Int32 {
    hk_device_tree(mode, major, minor, uid, gid)
  }
}
