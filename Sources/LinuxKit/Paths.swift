/// Lexical path helpers (no file system access).
public enum Paths {
  public static func dirname(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  public static func basename(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  public static func join(_ a: String, _ b: String) -> String {
    if b.hasPrefix("/") { return a.hasSuffix("/") ? a + b.dropFirst() : a + b }
    return a.hasSuffix("/") ? a + b : a + "/" + b
  }

  /// Cleans "a//b/./c/../d" to "a/b/d"; ".." never climbs above the root of an absolute path.
  public static func clean(_ path: String) -> String {
    if isClean(path) { return path }
    let absolute = path.hasPrefix("/")
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == ".." {
        if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
        continue
      }
      parts.append(part)
    }
    let joined = parts.joined(separator: "/")
    if absolute { return "/" + joined }
    return joined.isEmpty ? "." : joined
  }

  /// Already clean: no empty, "." or ".." component and no trailing slash (the common case,
  /// checked on bytes because splitting Strings showed in start-up profiles).
  static func isClean(_ path: String) -> Bool {
    let utf8 = path.utf8
    guard !utf8.isEmpty else { return false }
    return utf8.withContiguousStorageIfAvailable { bytes -> Bool in
      var componentStart = 0
      var i = 0
      let n = bytes.count
      if n > 1 && bytes[n - 1] == 0x2F { return false }
      while i <= n {
        if i == n || bytes[i] == 0x2F {
          let length = i - componentStart
          if i != 0 {
            if length == 0 { return false }
            if length == 1 && bytes[componentStart] == 0x2E { return false }
            if length == 2 && bytes[componentStart] == 0x2E && bytes[componentStart + 1] == 0x2E { return false }
          }
          componentStart = i + 1
        }
        i += 1
      }
      return true
    } ?? false
  }

  /// Makes `path` absolute against `base` (the bundle directory for root.path).
  public static func absolute(_ path: String, base: String) -> String {
    clean(path.hasPrefix("/") ? path : join(base, path))
  }
}
