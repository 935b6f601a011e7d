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

  /// Makes `path` absolute against `base` (the bundle directory for root.path).
  public static func absolute(_ path: String, base: String) -> String {
    clean(path.hasPrefix("/") ? path : join(base, path))
  }
}
