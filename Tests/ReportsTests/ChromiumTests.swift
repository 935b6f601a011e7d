// Renders index.html in headless Chromium and checks the screenshot: not blank, and the charts' colours
// (runtime bars, pass/fail cells) actually painted, which a parse error or a broken SVG would not give.
import Foundation
import Testing

@testable import Reports

@Suite struct ChromiumTests {
  static let chromium: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for name in ["chromium", "chromium-browser", "google-chrome"] {
      for directory in path.split(separator: ":")
      where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
      }
    }
    return nil
  }()

  static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    // coreutils timeout: a wedged browser must fail the test, not hang it.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["120"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test(.enabled(if: chromium != nil, "chromium is not installed (Debian package chromium; scripts/setup installs it)"))
  func reportRendersWithChartsInChromium() throws {
    let directory = Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let page = directory + "/index.html"
    let shot = directory + "/shot.png"
    try HTMLReport.render(RendererTests.gatedModel()).write(toFile: page, atomically: true, encoding: .utf8)
    // Root in CI containers: the sandbox needs user namespaces Chromium may not get; the page is our own.
    let common = [
      Self.chromium!, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
      "--user-data-dir=\(directory)/profile", "--no-first-run",
    ]
    let dom = try Self.run(common + ["--dump-dom", "file://" + page])
    #expect(dom.status == 0)
    #expect(
      dom.output.components(separatedBy: "<svg class=\"chart\"").count - 1 >= 9, "Chromium's DOM lacks the charts")

    let result = try Self.run(common + ["--window-size=900,3000", "--screenshot=\(shot)", "file://" + page])
    #expect(result.status == 0)
    let bytes = try #require(FileManager.default.contents(atPath: shot), "no screenshot written")
    let image = try PNGDecoder.decode([UInt8](bytes))
    #expect(image.width == 900 && image.height == 3000)
    let background: UInt32 = 0xFFFFFF
    let painted = image.pixels.filter { $0 != background }.count
    #expect(Double(painted) / Double(image.pixels.count) > 0.03, "screenshot nearly blank: \(painted) painted pixels")
    #expect(Set(image.pixels).count > 50, "too few colours for text and charts")
    func near(_ pixel: UInt32, _ color: UInt32) -> Bool {
      let channels = [16, 8, 0].map { (Int(pixel >> UInt32($0)) & 0xFF, Int(color >> UInt32($0)) & 0xFF) }
      return channels.allSatisfy { abs($0.0 - $0.1) <= 6 }
    }
    // hull's bars (first palette colour), the failing-case red and the passing-case green.
    for (name, color) in [("hull blue", UInt32(0x4E79A7)), ("fail red", 0xE15759), ("pass green", 0x59A14F)] {
      let count = image.pixels.filter { near($0, color) }.count
      #expect(count > 200, "\(name) barely painted (\(count) pixels): a chart did not render")
    }
  }
}
