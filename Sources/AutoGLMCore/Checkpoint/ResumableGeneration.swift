/// One sequence's generation that can be checkpointed after any token and picked up again
/// from the checkpoint — in another process, after a crash — producing exactly the tokens
/// the uninterrupted run would have:
///
/// - the checkpoint holds every token, the sampler's config and RNG state, and the KV of
///   positions 0..<kvPositions (bit for bit, with native KV storage);
/// - `next()` first runs positions kvPositions..<tokens.count through the model (after a
///   save that is the last sampled token; after a rebuild from tokens it is all of them),
///   which gives the same logits whatever the chunking (InferenceState.prefill), then
///   samples with the restored RNG and history.
public final class ResumableGeneration {
    public let state: InferenceState
    public let sequence: Int
    public let sampler: Sampler
    /// Earlier turns and the prompt, then the generated tokens.
    public private(set) var tokens: [Int32]
    public let promptCount: Int
    public let maxNewTokens: Int
    /// Positions whose KV is in the sequence's pages.
    public private(set) var kvPositions: Int
    public private(set) var finishReason: FinishReason? = nil

    public var generatedCount: Int { tokens.count - promptCount }
    public var generated: ArraySlice<Int32> { tokens[promptCount...] }
    public var isFinished: Bool { finishReason != nil }

    /// A new generation after `prompt`, with nothing in `sequence` yet.
    public init(state: InferenceState, sequence: Int, prompt: [Int32], sampling: SamplerConfig,
                maxNewTokens: Int) throws(CoreError) {
        try Self.validate(state: state, sequence: sequence, tokens: prompt, maxNewTokens: maxNewTokens)
        guard !prompt.isEmpty else { throw .invalidArgument(name: "prompt", value: "[]", reason: "needs at least one token") }
        self.state = state
        self.sequence = sequence
        sampler = try Sampler(config: sampling, vocabularySize: state.config.vocabularySize)
        tokens = prompt
        tokens.reserveCapacity(prompt.count + maxNewTokens)
        promptCount = prompt.count
        self.maxNewTokens = maxNewTokens
        kvPositions = 0
        if state.kvPool.isInUse(sequence) { state.kvPool.releaseSequence(sequence) }
    }

    /// Picks up a checkpoint. `pages` (from CheckpointDecoder.readPages) nil rebuilds the
    /// KV from the tokens (the page bytes were damaged, or not wanted).
    public init(state: InferenceState, sequence: Int, restoring d: DecodedCheckpoint, pages: [UInt8]?) throws(CoreError) {
        let c = d.checkpoint
        try Self.validate(state: state, sequence: sequence, tokens: c.tokens, maxNewTokens: c.generation.maxNewTokens)
        self.state = state
        self.sequence = sequence
        sampler = try Sampler(config: c.sampler.config, vocabularySize: state.config.vocabularySize)
        sampler.rng = c.sampler.rng
        tokens = c.tokens
        tokens.reserveCapacity(c.generation.promptCount + c.generation.maxNewTokens)
        promptCount = c.generation.promptCount
        maxNewTokens = c.generation.maxNewTokens
        if state.kvPool.isInUse(sequence) { state.kvPool.releaseSequence(sequence) }
        if let pages {
            try CheckpointDecoder.restorePages(d, pages: pages, into: state.kvPool, sequence: sequence, now: 0)
            kvPositions = c.generation.kvPositions
        } else {
            kvPositions = 0
        }
        if c.generation.finished { finishReason = .length }
    }

    private static func validate(state: InferenceState, sequence: Int, tokens: [Int32], maxNewTokens: Int) throws(CoreError) {
        guard sequence >= 0, sequence < state.limits.maxBatch else {
            throw .invalidArgument(name: "sequence", value: "\(sequence)", reason: "must be below the batch of \(state.limits.maxBatch)")
        }
        guard tokens.count < state.limits.maxContext else {
            throw .invalidArgument(name: "tokens", value: "\(tokens.count)", reason: "must be shorter than the context (\(state.limits.maxContext))")
        }
        guard maxNewTokens >= 0 else { throw .invalidArgument(name: "max tokens", value: "\(maxNewTokens)", reason: "must be ≥ 0") }
        let vocab = state.config.vocabularySize
        for id in tokens where id < 0 || Int(id) >= vocab {
            throw .tokenizer(.tokenOutOfRange(id: Int(id), vocabularySize: vocab))
        }
    }

    /// Runs what the model has not seen yet, samples one token and appends it; nil once
    /// finished. `isEndOfGeneration` tokens end the turn (and are kept, as Generator does).
    public func next(isEndOfGeneration: (Int32) -> Bool = { _ in false }) -> Int32? {
        guard finishReason == nil else { return nil }
        if generatedCount >= maxNewTokens { finishReason = .length; return nil }
        if kvPositions < tokens.count {
            tokens.withUnsafeBufferPointer {
                state.prefill(tokens: UnsafeBufferPointer(rebasing: $0[kvPositions...]), startPosition: kvPositions,
                              sequence: sequence)
            }
            kvPositions = tokens.count
        }
        let logits = state.logits + sequence * state.config.vocabularySize
        let token = tokens.withUnsafeBufferPointer { sampler.sample(logits: logits, history: $0) }
        tokens.append(token)
        if isEndOfGeneration(token) {
            finishReason = .endOfGeneration
        } else if generatedCount >= maxNewTokens {
            finishReason = .length
        } else if tokens.count >= state.limits.maxContext {
            finishReason = .contextFull
        }
        return token
    }

    /// What a checkpoint of this moment holds (the pages are captured separately, with
    /// CheckpointEncoder.capturePages for `kvPositions`).
    public func checkpoint(sessionKey: String, saveCounter: UInt64, savedAt: UInt64, priority: UInt8,
                           kvStorage: CheckpointKVStorage = .native) -> SessionCheckpoint {
        SessionCheckpoint(
            sessionKey: sessionKey, saveCounter: saveCounter, savedAt: savedAt, priority: priority, tokens: tokens,
            sampler: SamplerSnapshot(sampler),
            generation: GenerationSnapshot(promptCount: promptCount, generatedCount: generatedCount, maxNewTokens: maxNewTokens,
                                           kvPositions: kvPositions, finished: isFinished),
            kvStorage: kvStorage)
    }

    /// Checkpoint bytes of this moment: (head, pages) for CheckpointStore.save.
    public func encode(_ c: SessionCheckpoint, identity: CheckpointIdentity) throws(CoreError) -> (head: [UInt8], pages: [UInt8]) {
        let pages = try CheckpointEncoder.capturePages(pool: state.kvPool, sequence: sequence, positions: c.generation.kvPositions,
                                                       storage: c.kvStorage)
        return (CheckpointEncoder.encodeHead(c, identity: identity, pages: pages), pages)
    }
}

/// A 64-bit identity of a tokenizer's vocabulary (FNV-1a over every token's bytes and
/// type): a checkpoint's token ids mean nothing under another vocabulary.
public func tokenizerFingerprint(_ t: Tokenizer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    for b in t.pieces { mix(b) }
    for s in t.pieceStarts { for i in 0..<4 { mix(UInt8(truncatingIfNeeded: s >> (8 * Int32(i)))) } }
    for type in t.tokenTypes { mix(UInt8(truncatingIfNeeded: type.rawValue)) }
    return h
}
