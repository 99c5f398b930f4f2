/// What a client asks the engine for.
public struct RequestOptions {
    public var priority: RequestPriority
    public var maxNewTokens: Int
    /// Absolute clock time (EngineClock ns) by which the whole answer must be done; 0: none.
    public var deadline: UInt64
    public var sampling: SamplerConfig
    /// A finished request keeps its KV pages until `Scheduler.releaseFinished` (the caller
    /// checkpoints them first: a session's turn end). False: they go back at once.
    public var keepsPagesWhenFinished: Bool

    public init(priority: RequestPriority = .interactive, maxNewTokens: Int = 64, deadline: UInt64 = 0,
                sampling: SamplerConfig = SamplerConfig(), keepsPagesWhenFinished: Bool = false) {
        self.priority = priority
        self.maxNewTokens = maxNewTokens
        self.deadline = deadline
        self.sampling = sampling
        self.keepsPagesWhenFinished = keepsPagesWhenFinished
    }
}

/// Where a request is in its life.
public enum RequestPhase: Equatable, Sendable {
    /// Admitted, not holding KV (new, or evicted to be recomputed).
    case waiting
    /// In the running set: its rows go into the batch.
    case running
    /// Preempted by a higher class; keeps its KV pages and resumes where it was.
    case paused
    case finished
}

/// One request inside the scheduler, and the client's handle on it: generated tokens,
/// phase, finish reason and timestamps. Its buffers are allocated at submission, so
/// the scheduler's steps allocate nothing for it.
public final class ServingRequest {
    public let id: Int
    public let options: RequestOptions
    public let promptCount: Int
    /// Prompt followed by the generated tokens: [promptCount + maxNewTokens].
    let tokens: UnsafeMutablePointer<Int32>
    let capacity: Int
    let sampler: Sampler
    public internal(set) var generatedCount = 0
    public internal(set) var phase: RequestPhase = .waiting
    public internal(set) var finishReason: FinishReason? = nil

    // Timestamps (EngineClock ns).
    public let arrival: UInt64
    public internal(set) var firstTokenTime: UInt64 = 0
    public internal(set) var lastTokenTime: UInt64 = 0
    public internal(set) var finishTime: UInt64 = 0

    /// Prompt positions taken from the prefix cache instead of computed (last admission).
    public internal(set) var reusedPrefixTokens = 0
    /// Times it was paused or evicted for another request.
    public internal(set) var preemptions = 0

    // Scheduler state.
    var slot = -1            // KV pool sequence, −1 when holding none
    var computed = 0         // positions whose KV is in the pages
    var arrivalOrder = 0     // FIFO tie-break inside a priority class
    var started = false      // has been in a batch at least once (batching window)
    var tableIndex = -1      // entry in the scheduler's request table

    /// `known` = prompt (its first `promptCount` tokens), then tokens already generated
    /// (a request resumed from a checkpoint; `rng` is where its sampler stood then).
    init(id: Int, known: UnsafeBufferPointer<Int32>, promptCount: Int, rng: SamplerRNG?, options: RequestOptions,
         vocabularySize: Int, arrival: UInt64, arrivalOrder: Int) throws(CoreError) {
        self.id = id
        self.options = options
        self.promptCount = promptCount
        capacity = promptCount + options.maxNewTokens
        sampler = try Sampler(config: options.sampling, vocabularySize: vocabularySize)
        if let rng { sampler.rng = rng }
        tokens = .allocate(capacity: capacity)
        tokens.update(from: known.baseAddress!, count: known.count)
        generatedCount = known.count - promptCount
        self.arrival = arrival
        self.arrivalOrder = arrivalOrder
    }

    deinit { tokens.deallocate() }

    public var priority: RequestPriority { options.priority }
    /// Prompt plus generated so far.
    public var tokenCount: Int { promptCount + generatedCount }
    public var generated: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: tokens + promptCount, count: generatedCount) }
    /// Prompt followed by the generated tokens.
    public var allTokens: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: tokens, count: tokenCount) }

    // What a checkpoint of the request needs (read between steps).
    /// The KV pool sequence holding its pages; −1 when it holds none.
    public var sequence: Int { slot }
    /// Positions whose KV is in the sequence's pages.
    public var kvPositions: Int { computed }
    /// The sampler's config and where its random stream stands.
    public var samplerSnapshot: SamplerSnapshot { SamplerSnapshot(sampler) }
    public var isFinished: Bool { phase == .finished }
    /// Positions still to run through the model before the next token can be sampled.
    var pending: Int { tokenCount - computed }
    var isDecoding: Bool { pending == 1 && generatedCount > 0 }
}
