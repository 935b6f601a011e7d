// CaseResult: the verdict of one case against one runtime.

public enum CaseStatus: String, Sendable, Codable, CaseIterable {
  case pass, fail, skip
}

public struct CaseResult: Sendable, Equatable {
  public var caseID: String
  public var status: CaseStatus
  /// Why it failed or was skipped (empty on a pass). Failures quote the spec citation.
  public var message: String
  public var seconds: Double
  /// One line per step, for the TAP diagnostics and for debugging a failure.
  public var log: [String]

  public init(caseID: String, status: CaseStatus, message: String = "", seconds: Double = 0, log: [String] = []) {
    self.caseID = caseID
    self.status = status
    self.message = message
    self.seconds = seconds
    self.log = log
  }
}
