// ModeMatrix: conformance results of the same runtimes on several hosts (hybrid here, v2 and v1 in drydock vm)
// side by side: runtime × host, each cell the pass/fail/skip counts there. Pass/fail and syscall counts compare
// across hosts; timings do not (TCG), so the matrix carries no time.
import DrydockKit

public struct ModeCell: Codable, Sendable, Equatable {
  public var runtime: String
  public var pass: Int
  public var fail: Int
  public var skip: Int
  public var usable: Bool
}

public struct ModeColumn: Codable, Sendable, Equatable {
  public var host: HostLabel?
  public var cells: [ModeCell]

  public var title: String { host?.summary ?? "unknown host" }

  static func from(_ doc: ConformanceDoc) -> ModeColumn {
    ModeColumn(
      host: doc.host,
      cells: doc.runtimes.map { runtime in
        ModeCell(
          runtime: runtime.name, pass: runtime.count("pass"), fail: runtime.count("fail"),
          skip: runtime.count("skip"), usable: runtime.unusable == nil)
      })
  }

  func cell(_ runtime: String) -> String {
    guard let found = cells.first(where: { $0.runtime == runtime }) else { return "–" }
    if !found.usable { return "unusable" }
    return "\(found.pass) / \(found.fail) / \(found.skip)"
  }
}

enum ModeMatrixRenderer {
  static func runtimes(_ columns: [ModeColumn]) -> [String] {
    var names: [String] = []
    for column in columns {
      for cell in column.cells where !names.contains(cell.runtime) { names.append(cell.runtime) }
    }
    return names
  }

  static func markdown(_ columns: [ModeColumn]) -> String {
    var out =
      "### Conformance by host (pass / fail / skip)\n\n| runtime | "
      + columns.map { mdCell($0.title) }.joined(separator: " | ") + " |\n"
    out += "|---|" + columns.map { _ in "---|" }.joined() + "\n"
    for runtime in runtimes(columns) {
      out += "| \(runtime) | " + columns.map { $0.cell(runtime) }.joined(separator: " | ") + " |\n"
    }
    return out + "\n"
  }

  static func html(_ columns: [ModeColumn]) -> String {
    var out = "<h2>Conformance by host</h2>\n<table class=\"modes\"><tr><th>runtime</th>"
    out += columns.map { "<th>\(xmlEscape($0.title))</th>" }.joined() + "</tr>\n"
    for runtime in runtimes(columns) {
      out +=
        "<tr><td>\(xmlEscape(runtime))</td>" + columns.map { "<td>\(xmlEscape($0.cell(runtime)))</td>" }.joined()
        + "</tr>\n"
    }
    return out + "</table><p>pass / fail / skip per host; times are not compared across hosts.</p>\n"
  }
}
