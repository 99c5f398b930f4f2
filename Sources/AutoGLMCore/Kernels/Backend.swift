/// Which kernels run the linear layers. Chosen once at start-up (docs/ARCHITECTURE.md: never per call).
public enum Backend: Equatable, Sendable {
    /// Scalar Swift: slow, obviously correct, the ground truth for every kernel test.
    case reference
    /// The NEON kernels' arithmetic on the host's vector units: same blocks, same integer
    /// accumulation, same float order, so x86 results predict the device bit for bit.
    case emulation
    /// The same arithmetic compiled for aarch64: the int8 matmuls on the C kernels of the
    /// kernel path the CPU has (neon-i8mm, neon-dotprod or armv8.0 neon), the rest in Swift.
    case neon

    public init(name: String) throws(CoreError) {
        switch name {
        case "reference": self = .reference
        case "emulation": self = .emulation
        case "neon":
            #if arch(arm64)
            self = .neon
            #else
            throw .model(.backendUnavailable(backend: "neon", reason: "this build is not for aarch64; use emulation for the same numbers"))
            #endif
        default: throw .model(.unknownBackend(name))
        }
    }

    public var name: String {
        switch self {
        case .reference: return "reference"
        case .emulation: return "emulation"
        case .neon: return "neon"
        }
    }

    /// The fastest backend whose numbers match the device on this machine.
    public static var platformDefault: Backend {
        #if arch(arm64)
        return .neon
        #else
        return .emulation
        #endif
    }
}
