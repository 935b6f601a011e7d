/// /etc/passwd of the current root, parsed by hand: hull is a static executable, so no NSS.
public enum Passwd {
  /// The user name and home directory of `uid`, if the file lists it. In a container the
  /// file is the image's: one that is not a regular file (a FIFO would block the read
  /// forever) counts as absent, as does one over 16 MiB.
  public static func entry(uid: UInt32, file: String = "/etc/passwd") -> (name: String, home: String)? {
    entry(uid: uid, in: (try? Files.readRegular(file, limit: limit)).map { String(decoding: $0, as: UTF8.self) } ?? "")
  }

  /// The largest file read.
  public static let limit = 16 << 20

  /// The entry of `uid` in the text of a passwd file.
  public static func entry(uid: UInt32, in text: String) -> (name: String, home: String)? {
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: ":", omittingEmptySubsequences: false)
      if fields.count >= 6, UInt32(fields[2]) == uid { return (String(fields[0]), String(fields[5])) }
    }
    return nil
  }
}
