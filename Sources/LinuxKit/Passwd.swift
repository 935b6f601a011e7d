/// /etc/passwd of the current root, parsed by hand: hull is a static executable, so no NSS.
public enum Passwd {
  /// The user name and home directory of `uid`, if the file lists it.
  public static func entry(uid: UInt32, file: String = "/etc/passwd") -> (name: String, home: String)? {
    for line in (Files.readIfPresent(file) ?? "").split(separator: "\n") {
      let fields = line.split(separator: ":", omittingEmptySubsequences: false)
      if fields.count >= 6, UInt32(fields[2]) == uid { return (String(fields[0]), String(fields[5])) }
    }
    return nil
  }
}
