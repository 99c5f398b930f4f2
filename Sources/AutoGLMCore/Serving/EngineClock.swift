import CAutoGLMSys

/// Where the scheduler reads the time: deadlines, batching windows, measured step costs
/// and page recency. Injected so tests drive time by hand and stay deterministic.
public protocol EngineClock: AnyObject {
    /// Monotonic nanoseconds.
    func nanoseconds() -> UInt64
}

/// The real clock (CLOCK_MONOTONIC).
public final class MonotonicClock: EngineClock {
    public init() {}
    public func nanoseconds() -> UInt64 { aglm_monotonic_ns() }
}

/// A clock that moves only when told to.
public final class ManualClock: EngineClock {
    public var now: UInt64

    public init(now: UInt64 = 0) { self.now = now }
    public func nanoseconds() -> UInt64 { now }
    public func advance(milliseconds: UInt64) { now += milliseconds * 1_000_000 }
}

/// Priority classes of requests, lowest first. Higher classes are scheduled first and
/// may preempt lower ones when batch slots or KV pages run out.
public enum RequestPriority: UInt8, Sendable, CaseIterable {
    /// Diagnostics, summaries: throughput matters, latency does not.
    case background = 0
    /// A person is waiting (voice assistant, HMI).
    case interactive = 1
    /// Safety- or driving-relevant: first token as soon as possible.
    case critical = 2

    public var name: String {
        switch self {
        case .background: return "background"
        case .interactive: return "interactive"
        case .critical: return "critical"
        }
    }

    public init(name: String) throws(CoreError) {
        switch name {
        case "background": self = .background
        case "interactive": self = .interactive
        case "critical": self = .critical
        default: throw .invalidArgument(name: "priority", value: name, reason: "expected critical, interactive or background")
        }
    }
}
