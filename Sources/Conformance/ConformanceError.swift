import DrydockKit
// ConformanceError: the one error type of the Conformance module.
// It carries what was being done, the file involved (a case file, a bundle, a report) and a sentence,
// so `drydock conformance` can print "load case conformance/cases/x/y.yaml: steps[2].do: unknown action".

public struct ConformanceError: HarnessError {
  public var operation: String
  public var path: String?
  public var message: String

  public init(operation: String, path: String? = nil, message: String) {
    self.operation = operation
    self.path = path
    self.message = message
  }

}
