/// What must match between the process that wrote a checkpoint and the one reading it for
/// the saved KV and sampler state to mean the same thing.
public struct CheckpointIdentity: Equatable, Sendable {
    /// KVPagePool.fingerprint: the model's weights and config, and the KV type.
    public var modelFingerprint: UInt64
    public var tokenizerHash: UInt64
    public var backend: Backend
    public var kvType: KVCacheType
    public var layerCount: Int
    public var kvDim: Int
    public var kvHeadCount: Int
    public var pageBytes: Int
    public var vocabularySize: Int

    public init(pool: KVPagePool, tokenizerHash: UInt64, backend: Backend, vocabularySize: Int) {
        modelFingerprint = pool.fingerprint
        self.tokenizerHash = tokenizerHash
        self.backend = backend
        kvType = pool.layout.type
        layerCount = pool.layout.layerCount
        kvDim = pool.layout.kvDim
        kvHeadCount = pool.layout.kvHeadCount
        pageBytes = pool.layout.pageBytes
        self.vocabularySize = vocabularySize
    }
}

/// A session's sampler: its config and where its random stream is.
public struct SamplerSnapshot: Equatable {
    public var config: SamplerConfig
    public var rng: SamplerRNG

    public init(config: SamplerConfig, rng: SamplerRNG) {
        self.config = config
        self.rng = rng
    }

    public init(_ sampler: Sampler) {
        config = sampler.config
        rng = sampler.rng
    }
}

/// Where the session's generation stands. `tokens` = prompt of the running (or last)
/// request followed by what it generated; positions `kvPositions..<tokens.count` have no
/// KV yet and are run through the model on restore before the next token is sampled.
public struct GenerationSnapshot: Equatable, Sendable {
    /// Tokens before the current request's generated ones (earlier turns and its prompt).
    public var promptCount: Int
    public var generatedCount: Int
    public var maxNewTokens: Int
    public var kvPositions: Int
    /// The request ended (turn end); false: it was still generating.
    public var finished: Bool

    public init(promptCount: Int, generatedCount: Int, maxNewTokens: Int, kvPositions: Int, finished: Bool) {
        self.promptCount = promptCount
        self.generatedCount = generatedCount
        self.maxNewTokens = maxNewTokens
        self.kvPositions = kvPositions
        self.finished = finished
    }
}

/// Everything a checkpoint says about a session except the page bytes.
public struct SessionCheckpoint: Equatable {
    public var sessionKey: String
    /// Increases with every save of the session: the newest wins.
    public var saveCounter: UInt64
    /// Caller's clock (seconds) at save; eviction by age uses it.
    public var savedAt: UInt64
    /// Higher is kept longer under the disk budget.
    public var priority: UInt8
    public var tokens: [Int32]
    public var sampler: SamplerSnapshot
    public var generation: GenerationSnapshot
    public var kvStorage: CheckpointKVStorage

    public init(sessionKey: String, saveCounter: UInt64, savedAt: UInt64, priority: UInt8, tokens: [Int32],
                sampler: SamplerSnapshot, generation: GenerationSnapshot, kvStorage: CheckpointKVStorage = .native) {
        self.sessionKey = sessionKey
        self.saveCounter = saveCounter
        self.savedAt = savedAt
        self.priority = priority
        self.tokens = tokens
        self.sampler = sampler
        self.generation = generation
        self.kvStorage = kvStorage
    }

    /// Pages covering the KV positions.
    public var kvPageCount: Int { (generation.kvPositions + KVPageLayout.tokensPerPage - 1) / KVPageLayout.tokensPerPage }
}

/// A validated checkpoint and where its page bytes sit in the file, for restoring later.
public struct DecodedCheckpoint: Equatable {
    public var checkpoint: SessionCheckpoint
    public var kvOffset: Int
    public var kvLength: Int
    public var kvCRC: UInt32
}
