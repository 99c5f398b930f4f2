import CAutoGLMSys
@testable import AutoGLMCore

/// The kernel paths the kernel tests check on this machine: every path the CPU runs, or —
/// when AUTOGLM_KERNELS forces one — that path and scalar, so `AUTOGLM_KERNELS=avx2 swift test`
/// on an AVX-512 machine tests exactly what an AVX2-only machine would. Each x86 path left
/// out is reported once on stdout with the reason: skipped, never silently passed.
enum KernelPathsUnderTest {
    static let all: [KernelPath] = {
        let forced = getenv(KernelPath.environmentVariable).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        var paths = KernelPath.available
        if let forced, let path = try? KernelPath(name: forced) {
            paths = paths.filter { $0 == path || $0 == .scalar }
        }
        for path in [KernelPath.avx512vnni, .avx2] where !paths.contains(path) {
            let reason = path.isSupported ? "\(KernelPath.environmentVariable)=\(forced ?? "")" : "this CPU lacks it"
            print("kernel tests: the \(path.name) path is skipped (\(reason))")
        }
        print("kernel tests: checking paths \(paths.map(\.name).joined(separator: ", "))")
        return paths
    }()

    /// The paths under test that have C kernels (all but scalar): those whose entry points must run.
    static var vectorized: [KernelPath] { all.filter { $0 != .scalar } }

    /// The paths under test whose Q8_0/INT8 matmuls read the repacked layout.
    static var repacking: [KernelPath] { all.filter(\.usesRepackedWeights) }
}
