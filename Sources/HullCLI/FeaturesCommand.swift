import OCISpec
import RuntimeCore

struct FeaturesCommand: HullCommand {
  static let name = "features"
  static let summary = "print what this build of hull supports, as runtime-spec features JSON"
  static let flags: [Arguments.Flag] = []

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    printOut(HullFeatures.current.json() + "\n")
    return 0
  }
}
