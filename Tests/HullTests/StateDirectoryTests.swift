// The state directory's own behaviour, on a temp directory (no container).
import Glibc
import LinuxKit
import Testing

@testable import RuntimeCore

@Suite("state directory removal") struct StateDirectoryTests {
  @Test("StateStore.remove: a container directory goes with hull's own files, and with files it does not know")
  func stateDirectoryRemoval() throws {
    let root = "/tmp/hull-store-\(getpid())"
    defer { Files.removeTree(root) }
    let store = StateStore(root: root)
    for stray in [false, true] {
      let lock = try store.create("c")
      for name in ["state.json", "essentials", "started"] {
        try Files.writeAtomically(store.directory("c") + "/" + name, [0x7b])
      }
      // A stray temp file and a subdirectory (checkpoint work): the rmdir fails, the tree walk follows.
      if stray {
        try Files.writeAtomically(store.directory("c") + "/state.json.tmp-x", [0])
        #expect(mkdir(store.directory("c") + "/work", 0o700) == 0)
      }
      store.remove("c")
      _ = consume lock
      #expect(!Files.exists(store.directory("c")), "stray files: \(stray)")
    }
  }
}
