// Format: number and text escaping shared by the renderers. Locale-free (no NumberFormatter, no
// String(format:)), so golden files are the same on every machine.
//
// API (module-internal):
//   fmt(_ value: Double?, _ decimals: Int = 2) -> String     "–" for nil or NaN
//   percent(_ change: Double?) -> String                      "+12.3%"
//   xmlEscape(_:) -> String ; mdCell(_:) -> String
//   sizeSuffix(_ bytes: Int?) -> String                      " (1.4 MB)" or "" when unknown
import Bench

func fmt(_ value: Double?, _ decimals: Int = 2) -> String {
  guard let value, value.isFinite else { return "–" }
  return MarkdownTable.number(value, decimals: decimals)
}

func percent(_ change: Double?) -> String {
  guard let change, change.isFinite else { return "–" }
  return (change >= 0 ? "+" : "") + MarkdownTable.number(change * 100, decimals: 1) + "%"
}

func xmlEscape(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.count)
  for c in s {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default:
      // XML 1.0 forbids most control characters; a runtime's stderr can contain them.
      if let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1, scalar.value < 0x20,
        scalar != "\n", scalar != "\t", scalar != "\r"
      {
        out += "?"
      } else {
        out.append(c)
      }
    }
  }
  return out
}

func mdCell(_ s: String) -> String {
  s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
}

func sizeSuffix(_ bytes: Int?) -> String {
  guard let bytes else { return "" }
  return " (" + fmt(Double(bytes) / 1_048_576, 1) + " MB)"
}
