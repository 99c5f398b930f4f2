import CAutoGLMSys

/// Why a generation stopped.
public enum FinishReason: Equatable, Sendable {
    /// max new tokens reached.
    case length
    /// The model produced an end-of-generation token.
    case endOfGeneration
    /// The context (memory plan) is full.
    case contextFull
    /// The caller's token callback asked to stop.
    case stopped
    /// Serving: the request's deadline passed while it ran or waited.
    case deadlineExceeded
    /// Serving: refused at admission, the engine's estimate could not meet the deadline.
    case deadlineUnmeetable
    /// Serving: the client cancelled it.
    case cancelled
    /// Serving: the request alone needs more KV pages than the pool can ever give it.
    case kvPoolExhausted

    public var name: String {
        switch self {
        case .length: return "length"
        case .endOfGeneration: return "stop"
        case .contextFull: return "context_full"
        case .stopped: return "stopped"
        case .deadlineExceeded: return "deadline_exceeded"
        case .deadlineUnmeetable: return "deadline_unmeetable"
        case .cancelled: return "cancelled"
        case .kvPoolExhausted: return "kv_pool_exhausted"
        }
    }
}

public struct GenerationResult: Equatable {
    public var tokens: [Int32]
    public var promptTokens: Int
    public var finishReason: FinishReason
    public var prefillNanoseconds: UInt64
    public var decodeNanoseconds: UInt64

    public var prefillTokensPerSecond: Double {
        prefillNanoseconds == 0 ? 0 : Double(promptTokens) * 1e9 / Double(prefillNanoseconds)
    }
    /// Decode speed over the tokens after the first (the first comes out of prefill).
    public var decodeTokensPerSecond: Double {
        decodeNanoseconds == 0 || tokens.count < 2 ? 0 : Double(tokens.count - 1) * 1e9 / Double(decodeNanoseconds)
    }
}

/// Single-sequence generation over an InferenceState: chunked prefill, then one forward
/// pass and one sample per token. All buffers (history, sampler scratch) are allocated at
/// init; the per-token loop allocates nothing.
public final class Generator {
    public let state: InferenceState
    public let sampler: Sampler
    private let history: UnsafeMutablePointer<Int32>
    private let historyCapacity: Int

    public init(state: InferenceState, sampling: SamplerConfig) throws(CoreError) {
        self.state = state
        sampler = try Sampler(config: sampling, vocabularySize: state.config.vocabularySize)
        historyCapacity = state.limits.maxContext
        history = UnsafeMutablePointer<Int32>.allocate(capacity: historyCapacity)
    }

    deinit { history.deallocate() }

    /// Generates up to `maxNewTokens` after `prompt`. `isEndOfGeneration` marks tokens that
    /// end the turn (from the tokenizer); `onToken` sees each new token and returns false
    /// to stop. Prompt ids are validated here: the forward pass trusts them.
    public func generate(prompt: [Int32], maxNewTokens: Int,
                         isEndOfGeneration: (Int32) -> Bool = { _ in false },
                         onToken: (Int32) -> Bool = { _ in true }) throws(CoreError) -> GenerationResult {
        let vocab = state.config.vocabularySize
        let maxContext = state.limits.maxContext
        guard !prompt.isEmpty else { throw .invalidArgument(name: "prompt", value: "[]", reason: "needs at least one token") }
        guard prompt.count < maxContext else {
            throw .invalidArgument(name: "prompt", value: "\(prompt.count) tokens", reason: "must be shorter than the context (\(maxContext))")
        }
        guard maxNewTokens >= 0 else { throw .invalidArgument(name: "max tokens", value: "\(maxNewTokens)", reason: "must be ≥ 0") }
        for id in prompt where id < 0 || Int(id) >= vocab {
            throw .tokenizer(.tokenOutOfRange(id: Int(id), vocabularySize: vocab))
        }

        var result = GenerationResult(tokens: [], promptTokens: prompt.count, finishReason: .length,
                                      prefillNanoseconds: 0, decodeNanoseconds: 0)
        result.tokens.reserveCapacity(maxNewTokens)
        guard maxNewTokens > 0 else { return result }
        for (i, id) in prompt.enumerated() { history[i] = id }

        let start = aglm_monotonic_ns()
        prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
        var position = prompt.count
        let prefillEnd = aglm_monotonic_ns()
        result.prefillNanoseconds = prefillEnd - start

        while true {
            let token = sampler.sample(logits: state.logits, history: UnsafeBufferPointer(start: history, count: position))
            result.tokens.append(token)
            history[position] = token
            if isEndOfGeneration(token) { result.finishReason = .endOfGeneration; break }
            if !onToken(token) { result.finishReason = .stopped; break }
            if result.tokens.count >= maxNewTokens { result.finishReason = .length; break }
            if position + 1 >= maxContext { result.finishReason = .contextFull; break }
            state.forward(tokens: UnsafeBufferPointer(start: history + position, count: 1), startPosition: position)
            position += 1
        }
        result.decodeNanoseconds = aglm_monotonic_ns() - prefillEnd
        return result
    }
}
