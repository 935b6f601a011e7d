/// A small argv parser that accepts runc's spellings: `--flag value`, `--flag=value`,
/// single-dash long forms (`-root x`, `-log-format=json`) and short aliases (`-b`).
struct Arguments {
  struct Flag {
    let names: [String]  // without dashes: ["bundle", "b"]
    let takesValue: Bool
  }

  /// One occurrence of a flag under its canonical name (the first of its names); "true" for booleans.
  /// An array, not a Dictionary: its first use costs a conformance scan in a static binary.
  struct Entry {
    let name: String
    let value: String
  }
  var entries: [Entry] = []
  var positionals: [String] = []

  enum Failure: Error, CustomStringConvertible {
    case unknown(String)
    case missingValue(String)
    var description: String {
      switch self {
      case .unknown(let f): return "unknown flag \(f)"
      case .missingValue(let f): return "flag \(f) needs a value"
      }
    }
  }

  /// Parses `argv` against `flags`. With `stopAtPositional`, parsing ends at the first
  /// positional (used for global options before the command name).
  init(_ argv: ArraySlice<String>, flags: [Flag], stopAtPositional: Bool = false, stopAfterPositionals: Int = Int.max)
    throws(Failure)
  {
    var rest = argv
    while let arg = rest.first {
      rest = rest.dropFirst()
      if arg == "--" {
        positionals += rest
        rest = []
        break
      }
      guard arg.hasPrefix("-"), arg.count > 1 else {
        positionals.append(arg)
        if stopAtPositional || positionals.count >= stopAfterPositionals {
          positionals += rest
          rest = []
          break
        }
        continue
      }
      var name = String(arg.drop { $0 == "-" })
      var inlineValue: String?
      if let eq = name.firstIndex(of: "=") {
        inlineValue = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      guard let flag = flags.first(where: { $0.names.contains(name) }) else {
        if stopAtPositional {
          positionals.append(arg)
          positionals += rest
          rest = []
          break
        }
        throw .unknown(arg)
      }
      let key = flag.names[0]
      if flag.takesValue {
        let value: String
        if let inlineValue {
          value = inlineValue
        } else if let next = rest.first {
          value = next
          rest = rest.dropFirst()
        } else {
          throw .missingValue(arg)
        }
        entries.append(Entry(name: key, value: value))
      } else {
        entries.append(Entry(name: key, value: inlineValue ?? "true"))
      }
    }
  }

  /// The last value given for a flag.
  func value(_ name: String) -> String? { entries.last { $0.name == name }?.value }

  /// Every value given for a repeatable flag, in order.
  func all(_ name: String) -> [String] { entries.filter { $0.name == name }.map(\.value) }

  func bool(_ name: String) -> Bool {
    guard let v = value(name) else { return false }
    return v != "false" && v != "0"
  }
}
