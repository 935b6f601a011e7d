import Glibc
// The fuzz target of hull's config parser (issue 9). Built with libFuzzer by scripts/fuzz-config
// (`-sanitize=fuzzer,address -D FUZZING`): every input goes through the parsers hull runs on
// untrusted bytes (config.json, `exec --process`, `update --resources`, state on a hook's stdin).
// Built plainly it replays files (a crash reproducer, or a whole corpus directory's worth).
import OCISpec

enum ConfigFuzz {
  /// Must never crash, hang or read out of bounds; every refusal must say something; and what
  /// the JSON writer writes, the parser must read back unchanged.
  static func check(_ bytes: [UInt8]) {
    if let value = try? JSON.parse(bytes) {
      let text = JSON.serialize(value)
      guard let again = try? JSON.parse(Array(text.utf8)), again == value else {
        fatalError("JSON round trip changed the value: \(text.prefix(200))")
      }
    }
    do { _ = try Spec.parse(bytes) } catch {
      if error.description.isEmpty { fatalError("Spec: refusal without a message") }
    }
    do { _ = try Process.parse(bytes) } catch {
      if error.description.isEmpty { fatalError("Process: refusal without a message") }
    }
    do { _ = try Resources.parse(bytes) } catch {
      if error.description.isEmpty { fatalError("Resources: refusal without a message") }
    }
    do { _ = try ContainerState.parse(bytes) } catch {
      if error.description.isEmpty { fatalError("State: refusal without a message") }
    }
  }
}

/// libFuzzer's entry: one input.
#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
#endif
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  ConfigFuzz.check(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
  return 0
}

#if FUZZING
// SwiftPM names an executable's entry point itself, so libFuzzer's own main is not linked:
// hand the command line to its driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main struct FuzzDriver {
  static func main() {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzzOneInput($0, $1) }))
  }
}
#else
@main struct ReplayInputs {
  static func main() {
    var count = 0
    for path in CommandLine.arguments.dropFirst() {
      guard let file = fopen(path, "rb") else {
        print("hull-config-fuzz: open \(path): \(String(cString: strerror(errno)))")
        exit(1)
      }
      var bytes: [UInt8] = []
      var chunk = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk[0..<n]
      }
      fclose(file)
      _ = fuzzOneInput(bytes, bytes.count)
      count += 1
    }
    print("hull-config-fuzz: \(count) inputs replayed, no failure")
  }
}
#endif
