// swift-tools-version:6.0
// Drydock: `hull` (an OCI runtime) and `drydock` (a test-bed for any OCI runtime).
//
// Runtime side, dependencies one way (each target lists what it imports; CLinux is reached
// through LinuxKit only):
//   OCISpec, LinuxKit (+CLinux) <- Cgroups (+CSystemd), Capabilities, Seccomp <- RuntimeCore <- HullCLI <- hull
// The runtime's start path uses no Foundation, no Codable, no argument parser:
// see docs/performance.md.
// Test-bed side: DrydockKit <- Bench (<- Reports), Conformance, Tracer, Stress, VMHost <- drydock. It never imports the
// runtime's modules; it drives every runtime through its CLI.
import PackageDescription

// hull's release link (docs/performance.md, "Code layout"): every function in a section of its own,
// linked by lld in the order of linker/hull-functions.order (the functions hull's commands run,
// written by scripts/function-order), so that the code a start touches lies together and the
// page cache's fault-around maps less of the 7 MB of text. Symbols are stripped, unless
// HULL_KEEP_SYMBOLS is set (scripts/function-order needs them to list the functions).
let repository = String(#filePath.dropLast("/Package.swift".count))
let functionSections: [SwiftSetting] = [
  .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release))
]
let hullLink =
  [
    "-static-executable", "-use-ld=lld", "-Xlinker", "--symbol-ordering-file=\(repository)/linker/hull-functions.order",
    "-Xlinker", "--no-warn-symbol-ordering",
  ]
  + (Context.environment["HULL_KEEP_SYMBOLS"] == nil ? ["-Xlinker", "--strip-all"] : [])

let package = Package(
  name: "Drydock",
  products: [
    .executable(name: "hull", targets: ["hull"]),
    .executable(name: "drydock", targets: ["drydock"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    // ---- runtime (hull) ----
    .target(name: "OCISpec", swiftSettings: functionSections),
    .target(
      name: "CLinux",
      cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-ffunction-sections"], .when(configuration: .release))]),
    .systemLibrary(name: "CCap", pkgConfig: "libcap"),
    .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp"),
    // sd-bus's declarations only: the systemd cgroup driver dlopen()s libsystemd.so.0 (see CSystemd/shim.h).
    .systemLibrary(name: "CSystemd", providers: [.apt(["libsystemd-dev"])]),
    .target(name: "LinuxKit", dependencies: ["CLinux"], swiftSettings: functionSections),
    .target(name: "Capabilities", dependencies: ["LinuxKit", "CCap"], swiftSettings: functionSections),
    .target(name: "Cgroups", dependencies: ["LinuxKit", "CSystemd"], swiftSettings: functionSections),
    .target(name: "Seccomp", dependencies: ["OCISpec", "LinuxKit", "CSeccomp"], swiftSettings: functionSections),
    .target(
      name: "RuntimeCore", dependencies: ["OCISpec", "LinuxKit", "Capabilities", "Cgroups", "Seccomp"],
      swiftSettings: functionSections),
    .target(
      name: "HullCLI", dependencies: ["RuntimeCore", "OCISpec", "LinuxKit", "Cgroups"], swiftSettings: functionSections),
    .executableTarget(
      name: "hull", dependencies: ["HullCLI"], swiftSettings: functionSections,
      linkerSettings: [.unsafeFlags(hullLink, .when(configuration: .release))]),

    // The config parser's fuzz target (scripts/fuzz-config builds it with libFuzzer).
    .executableTarget(name: "hull-config-fuzz", dependencies: ["OCISpec"]),

    // ---- test-bed (drydock) ----
    .target(name: "DrydockKit"),
    .target(name: "Bench", dependencies: ["DrydockKit"]),
    .target(name: "Conformance", dependencies: ["DrydockKit", .product(name: "Yams", package: "Yams")]),
    .systemLibrary(name: "CBPF", pkgConfig: "libbpf"),
    .target(name: "Tracer", dependencies: ["DrydockKit", "CBPF"]),
    .target(name: "Reports", dependencies: ["DrydockKit", "Bench"]),
    .target(name: "Stress", dependencies: ["DrydockKit"]),
    .target(name: "VMHost", dependencies: ["DrydockKit"]),
    .executableTarget(
      name: "drydock",
      dependencies: [
        "DrydockKit", "Bench", "Conformance", "Tracer", "Reports", "Stress", "VMHost",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // ---- tests ----
    .testTarget(name: "OCISpecTests", dependencies: ["OCISpec"]),
    .testTarget(
      name: "SeccompTests", dependencies: ["Seccomp", "OCISpec", "LinuxKit", "CSeccomp"], exclude: ["Fixtures"]),
    .testTarget(name: "HullTests", dependencies: ["RuntimeCore", "OCISpec", "LinuxKit", "Cgroups"]),
    .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "LinuxKit"]),
    .testTarget(name: "DrydockTests", dependencies: ["DrydockKit", "Bench", "Conformance"]),
    .testTarget(name: "TracerTests", dependencies: ["Tracer", "DrydockKit", "Bench"]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports", "Bench", "DrydockKit"]),
    .testTarget(name: "StressTests", dependencies: ["Stress", "DrydockKit"]),
    .testTarget(name: "VMTests", dependencies: ["VMHost", "DrydockKit"]),
    .testTarget(name: "ClientTests", dependencies: []),
    .testTarget(name: "FuzzTests", dependencies: []),
  ]
)
