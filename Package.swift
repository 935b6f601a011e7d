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
    .target(name: "OCISpec"),
    .target(name: "CLinux", cSettings: [.define("_GNU_SOURCE")]),
    .systemLibrary(name: "CCap", pkgConfig: "libcap"),
    .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp"),
    // sd-bus's declarations only: the systemd cgroup driver dlopen()s libsystemd.so.0 (see CSystemd/shim.h).
    .systemLibrary(name: "CSystemd", providers: [.apt(["libsystemd-dev"])]),
    .target(name: "LinuxKit", dependencies: ["CLinux"]),
    .target(name: "Capabilities", dependencies: ["LinuxKit", "CCap"]),
    .target(name: "Cgroups", dependencies: ["LinuxKit", "CSystemd"]),
    .target(name: "Seccomp", dependencies: ["OCISpec", "LinuxKit", "CSeccomp"]),
    .target(name: "RuntimeCore", dependencies: ["OCISpec", "LinuxKit", "Capabilities", "Cgroups", "Seccomp"]),
    .target(name: "HullCLI", dependencies: ["RuntimeCore", "OCISpec", "LinuxKit", "Cgroups"]),
    .executableTarget(
      name: "hull", dependencies: ["HullCLI"],
      linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "--strip-all"], .when(configuration: .release))]),

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
    .testTarget(name: "TracerTests", dependencies: ["Tracer", "DrydockKit"]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports", "Bench", "DrydockKit"]),
    .testTarget(name: "StressTests", dependencies: ["Stress", "DrydockKit"]),
    .testTarget(name: "VMTests", dependencies: ["VMHost", "DrydockKit"]),
    .testTarget(name: "ClientTests", dependencies: []),
    .testTarget(name: "FuzzTests", dependencies: []),
  ]
)
