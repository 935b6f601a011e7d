// SVGCharts: the inline SVG charts of index.html, as pure functions from numbers to markup.
// Hand-written rather than a JS chart library so the report is one self-contained file that renders
// without network or scripts (a CI artifact is often opened offline, and golden tests pin the output).
//
// Every chart is <svg class="chart" data-chart="ID"> with a <title>, so tests (and the Chromium check)
// can find them. Coordinates are rounded to 0.1 px for stable goldens.
import Bench

struct BoxRow {
  var label: String
  var color: String
  var summary: Summary
}
struct StackRow {
  var label: String
  var values: [Double]
}
struct Bar {
  var value: Double
  var color: String
  var tooltip: String
}
struct BarGroup {
  var label: String
  var bars: [Bar]
}

enum SVG {
  static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"]
  static let labelWidth = 190.0, plotWidth = 540.0, width = 760.0

  /// Stable per runtime; the floor grey.
  static func color(_ runtime: String, among runtimes: [String]) -> String {
    if runtime == "floor" { return "#8c8c8c" }
    let index = runtimes.filter { $0 != "floor" }.firstIndex(of: runtime) ?? 0
    return palette[index % palette.count]
  }

  static func n(_ v: Double) -> String { MarkdownTable.number(v, decimals: 1) }

  /// Counts (syscalls, cases) print as integers, times with the decimals they need.
  static func value(_ v: Double) -> String {
    v == v.rounded() ? fmt(v, 0) : fmt(v, abs(v) >= 100 ? 0 : abs(v) >= 10 ? 1 : 2)
  }

  /// 1, 2, 2.5 or 5 × 10^k, at or above value.
  static func niceMax(_ value: Double) -> Double {
    guard value.isFinite, value > 0 else { return 1 }
    var magnitude = 1.0
    while magnitude * 10 <= value { magnitude *= 10 }
    while magnitude > value { magnitude /= 10 }
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
    return 10 * magnitude
  }

  static func open(_ id: String, _ title: String, height: Double) -> String {
    "<svg class=\"chart\" data-chart=\"\(xmlEscape(id))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" "
      + "height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">"
      + "<title>\(xmlEscape(title))</title><text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"bold\">\(xmlEscape(title))</text>\n"
  }

  /// Grid lines and tick labels of a linear axis from `low` to `high` over the plot area.
  static func axis(low: Double, high: Double, top: Double, bottom: Double, unit: String) -> String {
    var out = ""
    let step = niceMax((high - low) / 5)
    var tick = (low / step).rounded(.up) * step
    while tick <= high + step * 1e-9 {
      let x = labelWidth + (tick - low) / (high - low) * plotWidth
      out += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(bottom))\" stroke=\"#e3e3e3\"/>"
      out +=
        "<text x=\"\(n(x))\" y=\"\(n(bottom + 13))\" text-anchor=\"middle\" fill=\"#555\">\(fmt(tick, step < 1 ? 1 : 0))</text>\n"
      tick += step
    }
    out +=
      "<text x=\"\(n(labelWidth + plotWidth))\" y=\"\(n(bottom + 26))\" text-anchor=\"end\" fill=\"#555\">\(xmlEscape(unit))</text>\n"
    return out
  }

  static func label(_ text: String, y: Double) -> String {
    "<text x=\"\(n(labelWidth - 8))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(xmlEscape(text))</text>"
  }

  /// Whiskers min–p99, box p25–p75 (or the median's CI), a median line and a p90 tick.
  static func boxPlot(id: String, title: String, rows: [BoxRow], unit: String) -> String {
    let rowHeight = 24.0
    let top = 26.0
    let bottom = top + rowHeight * Double(rows.count)
    let high = niceMax(rows.map { Swift.max($0.summary.p99, $0.summary.median) }.max() ?? 1)
    func x(_ v: Double) -> Double { labelWidth + Swift.min(Swift.max(v, 0), high) / high * plotWidth }
    var out = open(id, title, height: bottom + 32) + axis(low: 0, high: high, top: top, bottom: bottom, unit: unit)
    for (i, row) in rows.enumerated() {
      let s = row.summary
      let mid = top + rowHeight * (Double(i) + 0.5)
      let boxLow = s.p25 ?? s.ci95.first ?? s.median
      let boxHigh = s.p75 ?? s.ci95.last ?? s.median
      let tip =
        "\(row.label): min \(fmt(s.min)) · p25 \(fmt(s.p25)) · median \(fmt(s.median)) [95% CI \(fmt(s.ci95.first))–\(fmt(s.ci95.last))] · p75 \(fmt(s.p75)) · p90 \(fmt(s.p90)) · p99 \(fmt(s.p99)) · max \(fmt(s.max)) \(unit)"
      out += "<g><title>\(xmlEscape(tip))</title>" + label(row.label, y: mid)
      out +=
        "<line x1=\"\(n(x(s.min)))\" y1=\"\(n(mid))\" x2=\"\(n(x(s.p99)))\" y2=\"\(n(mid))\" stroke=\"\(row.color)\" stroke-width=\"1.5\"/>"
      out +=
        "<line x1=\"\(n(x(s.min)))\" y1=\"\(n(mid - 5))\" x2=\"\(n(x(s.min)))\" y2=\"\(n(mid + 5))\" stroke=\"\(row.color)\"/>"
      out +=
        "<line x1=\"\(n(x(s.p99)))\" y1=\"\(n(mid - 5))\" x2=\"\(n(x(s.p99)))\" y2=\"\(n(mid + 5))\" stroke=\"\(row.color)\"/>"
      out +=
        "<rect x=\"\(n(x(boxLow)))\" y=\"\(n(mid - 8))\" width=\"\(n(Swift.max(x(boxHigh) - x(boxLow), 1)))\" height=\"16\" fill=\"\(row.color)\" fill-opacity=\"0.35\" stroke=\"\(row.color)\"/>"
      out +=
        "<line x1=\"\(n(x(s.median)))\" y1=\"\(n(mid - 9))\" x2=\"\(n(x(s.median)))\" y2=\"\(n(mid + 9))\" stroke=\"#222\" stroke-width=\"2.5\"/>"
      out += "<circle cx=\"\(n(x(s.p90)))\" cy=\"\(n(mid))\" r=\"2.5\" fill=\"#222\"/>"
      out += "<text x=\"\(n(x(s.p99) + 6))\" y=\"\(n(mid + 4))\" fill=\"#333\">\(fmt(s.median))</text></g>\n"
    }
    return out + "</svg>"
  }

  static func legend(_ items: [(String, String)], y: Double) -> String {
    var out = ""
    var x = labelWidth
    for (name, color) in items {
      out += "<rect x=\"\(n(x))\" y=\"\(n(y - 9))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
      out += "<text x=\"\(n(x + 14))\" y=\"\(n(y))\">\(xmlEscape(name))</text>"
      x += 24 + Double(name.count) * 6.5
    }
    return out + "\n"
  }

  static func stackedBars(id: String, title: String, rows: [StackRow], series: [String], colors: [String], unit: String)
    -> String
  {
    let rowHeight = 24.0
    let top = 40.0
    let bottom = top + rowHeight * Double(rows.count)
    let high = niceMax(rows.map { $0.values.reduce(0, +) }.max() ?? 1)
    var out = open(id, title, height: bottom + 32) + legend(Array(zip(series, colors)), y: 32)
    out += axis(low: 0, high: high, top: top, bottom: bottom, unit: unit)
    for (i, row) in rows.enumerated() {
      let mid = top + rowHeight * (Double(i) + 0.5)
      var x = labelWidth
      out += label(row.label, y: mid)
      for (j, value) in row.values.enumerated() where value > 0 {
        let w = value / high * plotWidth
        out +=
          "<rect x=\"\(n(x))\" y=\"\(n(mid - 8))\" width=\"\(n(w))\" height=\"16\" fill=\"\(colors[j % colors.count])\">"
        out += "<title>\(xmlEscape("\(row.label) \(series[j]): \(fmt(value)) \(unit)"))</title></rect>"
        x += w
      }
      out += "<text x=\"\(n(x + 6))\" y=\"\(n(mid + 4))\" fill=\"#333\">\(value(row.values.reduce(0, +)))</text>\n"
    }
    return out + "</svg>"
  }

  /// Negative values are drawn left of zero.
  static func groupedBars(id: String, title: String, groups: [BarGroup], legend items: [(String, String)], unit: String)
    -> String
  {
    let barHeight = 12.0
    let gap = 10.0
    let top = items.isEmpty ? 26.0 : 40.0
    let heights = groups.map { Double($0.bars.count) * barHeight + gap }
    let bottom = top + heights.reduce(0, +)
    let values = groups.flatMap { $0.bars.map(\.value) }
    let low = (values.min() ?? 0) < 0 ? -niceMax(-(values.min() ?? 0)) : 0
    let high = (values.max() ?? 0) > 0 ? niceMax(values.max() ?? 1) : 1
    func x(_ v: Double) -> Double { labelWidth + (v - low) / (high - low) * plotWidth }
    var out = open(id, title, height: bottom + 32) + (items.isEmpty ? "" : legend(items, y: 32))
    out += axis(low: low, high: high, top: top, bottom: bottom, unit: unit)
    var y = top + gap / 2
    for group in groups {
      out += label(group.label, y: y + Double(group.bars.count) * barHeight / 2)
      for bar in group.bars {
        let from = x(Swift.min(bar.value, 0))
        let to = x(Swift.max(bar.value, 0))
        out +=
          "<rect x=\"\(n(from))\" y=\"\(n(y + 1))\" width=\"\(n(Swift.max(to - from, 0.5)))\" height=\"\(n(barHeight - 2))\" fill=\"\(bar.color)\">"
        out += "<title>\(xmlEscape(bar.tooltip))</title></rect>"
        out +=
          "<text x=\"\(n(to + 4))\" y=\"\(n(y + barHeight - 2.5))\" font-size=\"10\" fill=\"#333\">\(value(bar.value))</text>\n"
        y += barHeight
      }
      y += gap
    }
    return out + "</svg>"
  }

  static let statusColors = ["pass": "#59a14f", "fail": "#e15759", "skip": "#c8c8c8"]

  /// Cases as columns wrapped into bands of `perBand`, runtimes as rows within each band.
  /// cell(row, column) -> (status, tooltip)?
  static func matrix(
    id: String, title: String, rows: [String], columns: [String],
    cell: (Int, Int) -> (status: String, tooltip: String)?
  ) -> String {
    let perBand = 50
    let size = 10.0
    let rowHeight = 14.0
    let bandGap = 10.0
    let bands = Swift.max(1, (columns.count + perBand - 1) / perBand)
    let bandHeight = rowHeight * Double(rows.count) + bandGap
    let top = 40.0
    var out = open(id, title, height: top + bandHeight * Double(bands) + 4)
    out += legend(["pass", "fail", "skip"].map { ($0, statusColors[$0]!) }, y: 32)
    for band in 0..<bands {
      let y0 = top + Double(band) * bandHeight
      for (r, runtime) in rows.enumerated() {
        let y = y0 + Double(r) * rowHeight
        out += label(runtime, y: y + size / 2 - 1)
        for c in (band * perBand)..<Swift.min(columns.count, (band + 1) * perBand) {
          let x = labelWidth + Double(c - band * perBand) * size
          let verdict = cell(r, c)
          let fill = verdict.flatMap { statusColors[$0.status] } ?? "#ffffff"
          out +=
            "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(size - 1))\" height=\"\(n(rowHeight - 2))\" fill=\"\(fill)\" stroke=\"#ddd\" stroke-width=\"0.5\">"
          out += "<title>\(xmlEscape("\(columns[c]) · \(runtime): \(verdict?.tooltip ?? "not run")"))</title></rect>"
        }
        out += "\n"
      }
    }
    return out + "</svg>"
  }
}
