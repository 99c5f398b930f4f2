import AutoGLM
import Synchronization

/// The serving engine as the HTTP layer sees it: jobs go in, events come out on the
/// engine's own thread. The single-sequence engine implements it today; the batched
/// Scheduler of Core's serving engine will implement it next, unchanged for the API.
public protocol CompletionEngine: AnyObject, Sendable {
    /// Queues a job or refuses it at once (429 queue full, 503 draining or a deadline
    /// that cannot be met).
    func submit(_ job: GenerationJob) throws(APIError)
    /// Jobs waiting and running now.
    var load: EngineLoad { get }
    /// Whether tokens can come with their log-probabilities.
    var supportsLogprobs: Bool { get }
    /// A session ended: the KV pages of its slot go back to the pool.
    func releaseSlot(_ slot: Int)
    /// Stops taking jobs (SIGTERM); queued and running ones go on.
    func stopAccepting()
    /// Ends every queued and running job with `error` (the end of a drain).
    func cancelAll(with error: APIError)
    /// Ends the engine thread once idle.
    func shutdown()
}

public struct EngineLoad: Equatable, Sendable {
    public var queued: Int
    public var running: Int
}

/// What the engine reports for a job, in order: started, any number of tokens, then
/// exactly one of finished or failed.
public enum EngineEvent: Sendable {
    case started(promptTokens: Int, cachedTokens: Int)
    case token(GeneratedToken)
    case finished(GenerationSummary)
    case failed(APIError)
}

public struct GeneratedToken: Sendable {
    public var id: Int32
    /// Text released to the client with this token: may be empty (an incomplete UTF-8
    /// sequence, a control token, or text held back as a possible stop string).
    public var text: String
    /// The token's own bytes as text, for logprobs.
    public var tokenText: String
    /// log p(token) under the model's distribution (before sampling transforms); nil
    /// unless the job asked for logprobs.
    public var logprob: Float?
}

public struct GenerationSummary: Sendable {
    /// OpenAI finish_reason: "stop" (end token or stop string) or "length".
    public var finishReason: String
    public var promptTokens: Int
    /// Tokens of the prompt found in the KV cache (a session's history): not prefilled.
    public var cachedTokens: Int
    public var completionTokens: Int
    /// The slot's tokens that are in its KV cache afterwards (a session continues here).
    public var tokensInCache: [Int32]
}

/// Set by the HTTP layer when the client goes away; read by the engine between tokens.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One completion request as the engine runs it.
// @unchecked: every stored property is an immutable let (SamplerConfig is a plain value
// struct that Core, being Embedded-compatible, does not mark Sendable).
public final class GenerationJob: @unchecked Sendable {
    public let id: String
    /// KV slot the job computes in: 0 is the scratch slot of requests without a
    /// session, 1… belong to sessions.
    public let slot: Int
    /// Tokens already in the slot's KV cache (a session's history): not prefilled again.
    public let cachedTokens: [Int32]
    /// New tokens to prefill after them.
    public let promptTokens: [Int32]
    public let maxNewTokens: Int
    public let sampling: SamplerConfig
    public let stopStrings: [String]
    public let wantsLogprobs: Bool
    /// Higher runs first; equal priorities run in arrival order.
    public let priority: Int
    /// Monotonic time (aglm_monotonic_ns) after which the job fails with 504.
    public let deadlineNanoseconds: UInt64?
    public let enqueuedNanoseconds: UInt64
    public let cancellation: CancellationFlag
    /// The session's checkpoints, when the daemon keeps them.
    public let checkpointing: JobCheckpointing?
    /// Continue an interrupted request from its checkpoint instead of starting one.
    public let resume: JobResume?
    /// Called on the engine thread; must not block.
    public let onEvent: @Sendable (EngineEvent) -> Void

    public init(id: String, slot: Int, cachedTokens: [Int32], promptTokens: [Int32], maxNewTokens: Int,
                sampling: SamplerConfig, stopStrings: [String], wantsLogprobs: Bool, priority: Int,
                deadlineNanoseconds: UInt64?, enqueuedNanoseconds: UInt64, cancellation: CancellationFlag,
                checkpointing: JobCheckpointing? = nil, resume: JobResume? = nil,
                onEvent: @escaping @Sendable (EngineEvent) -> Void) {
        self.id = id
        self.slot = slot
        self.cachedTokens = cachedTokens
        self.promptTokens = promptTokens
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.wantsLogprobs = wantsLogprobs
        self.priority = priority
        self.deadlineNanoseconds = deadlineNanoseconds
        self.enqueuedNanoseconds = enqueuedNanoseconds
        self.cancellation = cancellation
        self.checkpointing = checkpointing
        self.resume = resume
        self.onEvent = onEvent
    }
}

/// How the engine checkpoints a session's request: into `writer` under `key`, telling the
/// session store each time (`note`), and after importing `pages` (a recovered session's
/// KV read from disk) into the prefix cache.
public struct JobCheckpointing {
    public let writer: CheckpointWriter
    public let key: String
    public let note: @Sendable (ResumePoint) -> Void
    public let pages: (checkpoint: DecodedCheckpoint, bytes: [UInt8])?
}

/// A request interrupted (crash, drain, client gone) and continued from its checkpoint.
/// The client received its generated tokens up to `lastReceivedIndex` (−1: none); the
/// engine streams the ones after it.
public struct JobResume {
    public let checkpoint: SessionCheckpoint
    public let lastReceivedIndex: Int
}
