import CAutoGLMKernels
import CAutoGLMSys

/// Which hand-vectorised kernels (CAutoGLMKernels) run the matmuls, the activation
/// quantization and SwiGLU: the fastest instruction set this CPU offers. Every path gives
/// the same bits (each computes ReferenceDot's arithmetic); a path only changes speed.
/// Chosen once at start-up (`configured`) and passed to each kernel call, never detected
/// per call. `AUTOGLM_KERNELS` forces a path, so any machine can test the slower ones.
public enum KernelPath: Int32, CaseIterable, Sendable {
    /// No C kernels: the Swift kernels (VectorDot, ActivationQuantization, Ops) run.
    case scalar = 0
    /// x86 AVX2 + FMA + F16C: int8 products by vpmaddwd on the repacked layout.
    case avx2 = 1
    /// x86 AVX-512 F/BW/VL/DQ + VNNI: int8 products by vpdpbusd on the repacked layout.
    case avx512vnni = 2
    /// aarch64 without SDOT (armv8.0: Cortex-A53/A57/A72).
    case neon = 3
    /// aarch64 with SDOT (armv8.2 dotprod: Cortex-A55/A76 …).
    case neonDotprod = 4
    /// aarch64 with SMMLA (i8mm: Cortex-A710/X2, Neoverse V1/N2 …).
    case neonI8mm = 5

    /// The variable that forces a path.
    public static let environmentVariable = "AUTOGLM_KERNELS"

    /// The name `--verbose`, `autoglm bench` and AUTOGLM_KERNELS use.
    public var name: String {
        switch self {
        case .scalar: return "scalar"
        case .avx2: return "avx2"
        case .avx512vnni: return "avx512vnni"
        case .neon: return "neon"
        case .neonDotprod: return "neon-dotprod"
        case .neonI8mm: return "neon-i8mm"
        }
    }

    /// A path by its name; "avx512" is accepted for avx512vnni.
    public init(name: String) throws(CoreError) {
        if name == "avx512" {
            self = .avx512vnni
            return
        }
        for path in KernelPath.allCases where path.name == name {
            self = path
            return
        }
        throw .model(.unknownKernelPath(name))
    }

    /// Whether this CPU (and OS, and build) runs the path.
    public var isSupported: Bool { aglm_kernel_path_supported(rawValue) != 0 }

    /// Whether its Q8_0 and INT8 matmuls read the repacked layout (InterleavedWeights).
    public var usesRepackedWeights: Bool { aglm_path_has_packed_kernels(rawValue) != 0 }

    /// Every path this machine runs, fastest first (scalar is always last).
    public static var available: [KernelPath] {
        [.avx512vnni, .avx2, .neonI8mm, .neonDotprod, .neon, .scalar].filter { $0.isSupported }
    }

    /// The fastest path this machine runs.
    public static var detected: KernelPath { available[0] }

    /// The path named by `requested` (AUTOGLM_KERNELS), or the detected one when it is nil
    /// or empty; refused when the name is unknown or this CPU lacks the path.
    public static func choose(requested: String?) throws(CoreError) -> KernelPath {
        guard let requested, !requested.isEmpty else { return detected }
        let path = try KernelPath(name: requested)
        guard path.isSupported else {
            throw .model(.kernelPathUnavailable(path: path.name,
                                                available: available.map { $0.name }.joined(separator: ", ")))
        }
        return path
    }

    /// The process's path: AUTOGLM_KERNELS or detection, decided on first use and kept.
    public static func configured() throws(CoreError) -> KernelPath { try configuredChoice.get() }

    private static let configuredChoice: Result<KernelPath, CoreError> = {
        let value = getenv(environmentVariable).map { String(cString: $0) }
        do throws(CoreError) { return .success(try choose(requested: value)) } catch { return .failure(error) }
    }()
}
