// swift-tools-version: 6.1
import PackageDescription

// The optional Arm NN backend (README "Arm NN backend") needs Debian's libarmnn-dev 20.08:
// `AUTOGLM_ARMNN=1 swift build` adds its targets; without the variable nothing links Arm NN.
let withArmNN = Context.environment["AUTOGLM_ARMNN"] == "1"

// Layout and invariants: see docs/ARCHITECTURE.md. AutoGLMCore must also compile as Embedded
// Swift (Toolchains/aarch64-cross-check.sh), so it depends on nothing but the two C targets.
let package = Package(
    name: "Open-AutoGLM",
    products: [
        .library(name: "AutoGLMCore", targets: ["AutoGLMCore"]),
        .library(name: "AutoGLM", targets: ["AutoGLM"]),
        .executable(name: "autoglm", targets: ["autoglm"]),
        .executable(name: "autoglmd", targets: ["autoglmd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The daemon: HTTP/1.1 over a Unix socket (NIO), logs, metrics, signals, config.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Signed model bundles: SHA-256 of every file, Ed25519 over the manifest.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
    ],
    targets: [
        .target(name: "CAutoGLMSys"),
        // x86 AVX-512 VNNI kernels with ReferenceDot's arithmetic, picked at run time by CPU
        // detection; on other targets they report themselves unavailable.
        .target(name: "CAutoGLMKernels"),
        .target(
            name: "AutoGLMCore",
            dependencies: ["CAutoGLMSys", "CAutoGLMKernels"]
        ),
        // Full Swift (Foundation allowed): HF folders, chat templates, quantization tooling.
        .target(
            name: "AutoGLM",
            dependencies: ["AutoGLMCore", "CAutoGLMSys"]
        ),
        // Signed model bundles (docs/bundles.md): manifest, keys, verification, A/B slots.
        .target(
            name: "AutoGLMBundle",
            dependencies: [
                "AutoGLM",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "autoglm",
            dependencies: [
                "AutoGLM",
                "AutoGLMBundle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + (withArmNN ? ["AutoGLMArmNN"] : []),
            // Not `canImport`: a stale module from an earlier Arm NN build must not switch it on.
            swiftSettings: withArmNN ? [.define("AUTOGLM_ARMNN")] : []
        ),
        // The daemon: socket, HTTP API, sessions, metrics, systemd integration.
        .target(
            name: "AutoGLMServer",
            dependencies: [
                "AutoGLM",
                "CAutoGLMSys",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "autoglmd",
            dependencies: [
                "AutoGLMServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "AutoGLMBundleTests",
            dependencies: ["AutoGLMBundle", "DurableFileSystemTestSupport"]
        ),
        .testTarget(
            name: "AutoGLMServerTests",
            dependencies: ["AutoGLMServer"]
        ),
        .testTarget(
            name: "AutoGLMTests",
            dependencies: ["AutoGLM"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AutoGLMCoreTests",
            dependencies: [
                "AutoGLMCore",
                "AllocationCountingSupport",
                "DurableFileSystemTestSupport",
            ]
        ),
        // Defines malloc & co. to count allocations per thread, for the
        // zero-allocations-per-token tests. Linked into test executables only.
        .target(name: "AllocationCountingSupport", path: "Tests/AllocationCountingSupport"),
        // An in-memory file system that loses power, for the crash-consistency tests of
        // checkpoints (Core) and model slots (bundles).
        .target(name: "DurableFileSystemTestSupport", dependencies: ["AutoGLMCore"], path: "Tests/DurableFileSystemTestSupport"),
    ]
)

if withArmNN {
    package.targets += [
        // C API over Arm NN's C++ (Swift never sees C++ types).
        .target(
            name: "CAutoGLMArmNN",
            cxxSettings: [.unsafeFlags(["-Wno-deprecated-declarations"])],
            linkerSettings: [.linkedLibrary("armnn")]
        ),
        // Full Swift: runs the linear layers as Arm NN FullyConnected networks.
        .target(
            name: "AutoGLMArmNN",
            dependencies: ["AutoGLM", "CAutoGLMArmNN"]
        ),
        .testTarget(
            name: "AutoGLMArmNNTests",
            dependencies: ["AutoGLMArmNN"]
        ),
    ]
}
