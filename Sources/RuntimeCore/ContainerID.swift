import Glibc

/// Container ids name directories under --root, so they must be one safe path
/// component: runc's rule (letters, digits, "_", "+", "-", ".") and not "." or "..".
public enum ContainerID {
  public static func validate(_ id: String) throws(RuntimeError) {
    if id.isEmpty { throw RuntimeError("validate container id", reason: "container id cannot be empty", errno: EINVAL) }
    if id.utf8.count > 255 {
      throw RuntimeError(
        "validate container id", reason: "container id is \(id.utf8.count) bytes long, at most 255 are allowed",
        errno: ENAMETOOLONG)
    }
    if id == "." || id == ".." {
      throw RuntimeError("validate container id", reason: "invalid container id \"\(id)\"", errno: EINVAL)
    }
    for byte in id.utf8 {
      let ok =
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        || byte == UInt8(ascii: ".")
      if !ok {
        throw RuntimeError(
          "validate container id", reason: "invalid container id \"\(id)\": only letters, digits, _ + - . are allowed",
          errno: EINVAL)
      }
    }
  }
}
