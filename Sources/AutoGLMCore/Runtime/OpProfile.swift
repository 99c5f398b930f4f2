import CAutoGLMSys

/// The kinds of work a forward pass (and the sampler after it) is timed by.
public enum OpKind: Int, CaseIterable, Sendable {
    case matmul
    case attention
    case norms
    case rope
    case activationQuantization
    case sampling
    case other

    public var name: String {
        switch self {
        case .matmul: return "matmul"
        case .attention: return "attention"
        case .norms: return "norms"
        case .rope: return "rope"
        case .activationQuantization: return "activation_quantization"
        case .sampling: return "sampling"
        case .other: return "other"
        }
    }
}

/// Wall time per op kind, summed over calls, for `autoglm bench --profile`. Off by
/// default: then `begin` returns 0 without reading the clock and `end` returns at once,
/// so an unprofiled forward pass pays one predictable branch per op. The counters are
/// allocated once; timing allocates nothing. Ops run on the calling thread (the pool's
/// `run` returns when all tasks are done), so wall time per call is the op's time.
public final class OpProfile {
    public var isEnabled = false
    private let totals: UnsafeMutablePointer<UInt64>

    public init() {
        totals = UnsafeMutablePointer<UInt64>.allocate(capacity: OpKind.allCases.count)
        totals.initialize(repeating: 0, count: OpKind.allCases.count)
    }

    deinit { totals.deallocate() }

    /// A start time for `end`, or 0 when profiling is off.
    @inline(__always)
    public func begin() -> UInt64 {
        isEnabled ? aglm_monotonic_ns() : 0
    }

    @inline(__always)
    public func end(_ kind: OpKind, since start: UInt64) {
        if !isEnabled { return }
        totals[kind.rawValue] &+= aglm_monotonic_ns() &- start
    }

    public func nanoseconds(_ kind: OpKind) -> UInt64 { totals[kind.rawValue] }

    public func reset() {
        totals.update(repeating: 0, count: OpKind.allCases.count)
    }
}
