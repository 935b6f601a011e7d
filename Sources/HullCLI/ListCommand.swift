import OCISpec
import RuntimeCore

struct ListCommand: HullCommand {
  static let name = "list"
  static let summary = "list containers (--format table|json, --quiet)"
  static let flags: [Arguments.Flag] = [
    .init(names: ["format", "f"], takesValue: true), .init(names: ["quiet", "q"], takesValue: false),
  ]

  static func run(_ args: Arguments, _ context: Context) throws(RuntimeError) -> Int32 {
    let entries = ContainerOps(store: context.store).list()
    if args.bool("quiet") {
      printOut(entries.map { $0.record.id + "\n" }.joined())
      return 0
    }
    switch args.value("format") ?? "table" {
    case "json":
      // runc's key order (its containerState struct): pid before status, unlike `state`.
      let order = ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner"]
      let states = entries.map { entry -> JSONValue in
        guard case .object(var o) = StateJSONPublic.state(entry.record, entry.status).jsonValue else { return .null }
        o["status"] = .string(entry.status.rawValue)
        var ordered = JSONObject(order.compactMap { key in o[key].map { (key, $0) } })
        for member in o.entries where !order.contains(member.key) { ordered.entries.append(member) }
        return .object(ordered)
      }
      printOut(JSON.serialize(.array(states)) + "\n")
    case "table":
      var text =
        "ID".padding(20) + "PID".padding(10) + "STATUS".padding(10) + "BUNDLE".padding(40) + "CREATED".padding(32)
        + "OWNER\n"
      for (record, status) in entries {
        let pid = status == .stopped ? "0" : String(record.pid)
        text +=
          record.id.padding(20) + pid.padding(10) + status.rawValue.padding(10) + record.bundle.padding(40)
          + record.created.padding(32) + record.owner + "\n"
      }
      printOut(text)
    case let other:
      throw RuntimeError("list", reason: "--format: unknown format \"\(other)\" (use table or json)", errno: 22)
    }
    return 0
  }
}
