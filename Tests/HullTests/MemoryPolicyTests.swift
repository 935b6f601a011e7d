// Issue 15 item 13: linux.memoryPolicy (runtime-spec 1.3) applied with set_mempolicy in the
// init, every mode and flag by name; `features` lists them.
import Foundation
import Glibc
import OCISpec
import Testing

@Suite(
  "linux.memoryPolicy",
  .enabled(if: access("/proc/self/numa_maps", F_OK) == 0, "no NUMA support in this kernel (no /proc/self/numa_maps)"))
struct MemoryPolicyTests {
  /// (policy, what /proc/self/numa_maps shows for it) on node 0, which every NUMA kernel has.
  static let cases: [(String, String)] = [
    (#"{"mode": "MPOL_BIND", "nodes": "0"}"#, " bind:0 "),
    (#"{"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}"#, " interleave=static:0 "),
    (#"{"mode": "MPOL_PREFERRED", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES"]}"#, " prefer=relative:0 "),
    (#"{"mode": "MPOL_LOCAL"}"#, " local "),
    (#"{"mode": "MPOL_DEFAULT"}"#, " default "),
  ]

  @Test("the container's process runs with the memory policy", arguments: cases)
  func applied(_ policy: String, _ shown: String) throws {
    let sb = try Sandbox("mempolicy")
    defer { sb.cleanup() }
    sb.set("ociVersion", .string("1.3.0"))
    sb.set("linux.memoryPolicy", json: policy)
    sb.script("head -1 /proc/self/numa_maps")
    let result = try sb.runContainer(sb.newID())
    #expect(result.status == 0 && result.stdout.contains(shown), "\(policy): \(result)")
  }

  @Test("a node the host lacks is an error naming set_mempolicy, and leaves nothing behind")
  func missingNode() throws {
    let sb = try Sandbox("mempolicy-bad")
    defer { sb.cleanup() }
    sb.set("ociVersion", .string("1.3.0"))
    sb.set("linux.memoryPolicy", json: #"{"mode": "MPOL_BIND", "nodes": "1023"}"#)
    let id = sb.newID()
    let result = try sb.runContainer(id)
    #expect(
      result.status != 0 && result.stderr.contains("set_mempolicy") && result.stderr.contains("invalid argument"),
      "\(result)")
    sb.expectNothingLeft(id)
  }

  @Test("features lists every mode and flag")
  func features() throws {
    let sb = try Sandbox("mempolicy-features")
    defer { sb.cleanup() }
    let result = try sb.hull(["features"], writeConfig: false)
    let policy = try JSON.parse(result.stdout)["linux"]?["memoryPolicy"]
    #expect(policy?["modes"]?.arrayValue?.count == 7, "\(result)")
    #expect(policy?["flags"]?.arrayValue?.count == 3, "\(result)")
  }
}
