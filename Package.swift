// swift-tools-version: 6.1
import PackageDescription

// Layout and invariants: see DESIGN.md. AutoGLMCore must also compile as Embedded
// Swift (Toolchains/aarch64-cross-check.sh), so it depends on nothing but the two C targets.
let package = Package(
    name: "Open-AutoGLM",
    products: [
        .library(name: "AutoGLMCore", targets: ["AutoGLMCore"]),
        .library(name: "AutoGLM", targets: ["AutoGLM"]),
        .executable(name: "autoglm", targets: ["autoglm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
            dependencies: ["AutoGLMCore"]
        ),
        .executableTarget(
            name: "autoglm",
            dependencies: [
                "AutoGLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "AutoGLMCoreTests",
            dependencies: [
                "AutoGLMCore",
                "AllocationCountingSupport",
            ]
        ),
        .testTarget(
            name: "AutoGLMTests",
            dependencies: ["AutoGLM"]
        ),
        // Defines malloc & co. to count allocations per thread, for the
        // zero-allocations-per-token tests. Linked into test executables only.
        .target(name: "AllocationCountingSupport", path: "Tests/AllocationCountingSupport"),
    ]
)
