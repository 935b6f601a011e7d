/// Filled in at build time by scripts/build (the git commit of the tree).
enum BuildInfo {
  static let commit = "unknown"
}
