// ReportWriter: the only part of the module that touches the file system: writes the rendered report
// (report.json, junit.xml, report.md, index.html) or the merged raw results (bench.json, conformance.json,
// traces.json: what `drydock report merge` leaves for a later `drydock report --in`).
import Bench
import DrydockKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

public enum ReportWriter {
  /// Returns the paths written. A failure, here as in writeMerged, is a HarnessError(.report) naming the
  /// directory or file that could not be created, encoded or written.
  public static func writeReport(_ model: ReportModel, to directory: String) throws -> [String] {
    try makeDirectory(directory)
    return [
      try write(try JSONReport.render(model), directory + "/report.json"),
      try write(JUnitReport.render(model), directory + "/junit.xml"),
      try write(MarkdownReport.render(model), directory + "/report.md"),
      try write(HTMLReport.render(model), directory + "/index.html"),
    ]
  }

  public static func writeMerged(_ merged: Merged, to directory: String) throws -> [String] {
    try makeDirectory(directory)
    var written: [String] = []
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    func encode<T: Encodable>(_ value: T, _ name: String) throws {
      let text: String
      do { text = String(decoding: try encoder.encode(value), as: UTF8.self) + "\n" } catch {
        throw HarnessError(.report, operation: "encode", path: directory + "/" + name, message: "\(error)")
      }
      written.append(try write(text, directory + "/" + name))
    }
    if let bench = merged.bench { try encode(bench, "bench.json") }
    if let conformance = merged.conformance { try encode(conformance, "conformance.json") }
    if !merged.traces.isEmpty { try encode(["traces": merged.traces], "traces.json") }
    return written
  }

  static func makeDirectory(_ directory: String) throws {
    do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
      throw HarnessError(.report, operation: "create directory", path: directory, message: "\(error)")
    }
  }

  static func write(_ text: String, _ path: String) throws -> String {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
      throw HarnessError(
        .report, operation: "write", path: path, errno: errno, message: String(cString: strerror(errno)))
    }
    return path
  }
}
