/// Element type of the KV cache. `int8` stores each head's row of a page symmetrically
/// quantized with one f32 scale (absmax / 127): a relative error of at most 1/254 of that
/// row's largest |value| per element, for 4× less memory than f32 (BENCHMARKS.md has the
/// measured effect on logits).
public enum KVCacheType: Equatable, Sendable {
    case f32
    case f16
    case int8

    public var bytes: Int {
        switch self {
        case .f32: return 4
        case .f16: return 2
        case .int8: return 1
        }
    }

    public var name: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .int8: return "int8"
        }
    }

    public init(name: String) throws(CoreError) {
        switch name {
        case "f32": self = .f32
        case "f16": self = .f16
        case "int8": self = .int8
        default: throw .invalidArgument(name: "kv-type", value: name, reason: "expected f32, f16 or int8")
        }
    }
}

/// What the runtime is sized for. Everything the forward pass touches is derived from
/// these and the model config, once, at start-up.
public struct RuntimeLimits: Equatable {
    public var maxContext: Int
    /// Sequences decoded together in one step.
    public var maxBatch: Int
    /// Prompt tokens per forward pass during prefill.
    public var prefillChunk: Int
    public var threads: Int
    /// Pin each kernel worker thread to its own CPU (ThreadPool's `pinToCores`).
    public var pinThreads: Bool
    public var kvType: KVCacheType
    /// Sequences that may hold KV pages at once (running plus paused); 0: maxBatch.
    public var maxSequences: Int
    /// Pages in the KV pool; 0: enough for every sequence at full context.
    public var kvPages: Int
    /// Rows of logits one pass can produce; 0: maxBatch (one per sequence). Perplexity
    /// scores every position, so it asks for a logits row per prefill-chunk row and runs
    /// the scored tokens as a batched prefill instead of one decode step each.
    public var logitsRows: Int

    public init(maxContext: Int = 2048, maxBatch: Int = 1, prefillChunk: Int = 64, threads: Int = 1, kvType: KVCacheType = .f32,
                maxSequences: Int = 0, kvPages: Int = 0, pinThreads: Bool = false, logitsRows: Int = 0) {
        self.maxContext = maxContext
        self.maxBatch = maxBatch
        self.prefillChunk = prefillChunk
        self.threads = threads
        self.pinThreads = pinThreads
        self.kvType = kvType
        self.maxSequences = maxSequences
        self.kvPages = kvPages
        self.logitsRows = logitsRows
    }

    /// Sequence slots after applying the default.
    public var sequenceSlots: Int { maxSequences == 0 ? maxBatch : maxSequences }
    /// Pages one sequence needs to hold a full context.
    public var pagesPerSequence: Int { (maxContext + KVPageLayout.tokensPerPage - 1) / KVPageLayout.tokensPerPage }
    /// Logits rows after applying the default: never fewer than one per sequence of a batch.
    public var logitsCapacity: Int { max(maxBatch, logitsRows) }
    /// KV pool size after applying the default.
    public var poolPages: Int { kvPages == 0 ? sequenceSlots * pagesPerSequence : kvPages }

    public static let maxSupportedContext = 1 << 20
    public static let maxSupportedBatch = 1024
    public static let maxSupportedThreads = 256
}

/// One named region of the arena.
public struct PlanEntry: Equatable {
    public let name: String
    public let shape: String
    public let bytes: Int
    public let offset: Int
}

/// The memory plan: every buffer of the forward pass with its size and offset in the one
/// arena, plus the KV cache and the (mapped, read-only) weights.
public struct MemoryPlan: Equatable {
    public let limits: RuntimeLimits
    public let entries: [PlanEntry]
    public let arenaBytes: Int
    public let weightsBytes: Int
    /// Activation rows per pass: max(prefill chunk, batch).
    public let rows: Int
    /// Where each layer's K and V rows sit inside a KV page.
    public let kvPageLayout: KVPageLayout

    public static let alignment = 64

    public init(config c: ModelConfig, weightsBytes: Int, limits: RuntimeLimits) throws(CoreError) {
        guard limits.maxContext >= 1, limits.maxContext <= RuntimeLimits.maxSupportedContext else {
            throw .invalidArgument(name: "context", value: "\(limits.maxContext)", reason: "must be in 1...\(RuntimeLimits.maxSupportedContext)")
        }
        guard limits.maxBatch >= 1, limits.maxBatch <= RuntimeLimits.maxSupportedBatch else {
            throw .invalidArgument(name: "batch", value: "\(limits.maxBatch)", reason: "must be in 1...\(RuntimeLimits.maxSupportedBatch)")
        }
        guard limits.prefillChunk >= 1, limits.prefillChunk <= limits.maxContext else {
            throw .invalidArgument(name: "prefill chunk", value: "\(limits.prefillChunk)", reason: "must be in 1...context (\(limits.maxContext))")
        }
        guard limits.logitsRows >= 0, limits.logitsRows <= max(limits.prefillChunk, limits.maxBatch) else {
            throw .invalidArgument(name: "logits rows", value: "\(limits.logitsRows)",
                                   reason: "must be in 0...\(max(limits.prefillChunk, limits.maxBatch)) (the rows of one pass)")
        }
        guard limits.threads >= 1, limits.threads <= RuntimeLimits.maxSupportedThreads else {
            throw .invalidArgument(name: "threads", value: "\(limits.threads)", reason: "must be in 1...\(RuntimeLimits.maxSupportedThreads)")
        }
        guard limits.maxSequences >= 0, limits.maxSequences <= RuntimeLimits.maxSupportedBatch else {
            throw .invalidArgument(name: "sequences", value: "\(limits.maxSequences)", reason: "must be in 0...\(RuntimeLimits.maxSupportedBatch)")
        }
        guard limits.kvPages >= 0, limits.kvPages <= KVPageLayout.maxPages else {
            throw .invalidArgument(name: "kv pages", value: "\(limits.kvPages)", reason: "must be in 0...\(KVPageLayout.maxPages)")
        }
        guard limits.poolPages <= KVPageLayout.maxPages else {
            throw .invalidArgument(name: "kv pages", value: "\(limits.poolPages) (sequences × context / \(KVPageLayout.tokensPerPage))",
                                   reason: "must be at most \(KVPageLayout.maxPages); set a KV budget")
        }
        self.limits = limits
        self.weightsBytes = weightsBytes
        let layout = try KVPageLayout(config: c, type: limits.kvType)
        kvPageLayout = layout
        let rows = max(limits.prefillChunk, limits.maxBatch)
        self.rows = rows

        let gateUpRows = 2 * c.feedForwardLength
        let widestInput = max(c.embeddingLength, c.qDim, c.feedForwardLength)
        var entries: [PlanEntry] = []
        var offset = 0
        func add(_ name: String, _ shape: String, _ elements: Int, _ elementBytes: Int) throws(CoreError) {
            let (bytes, o1) = elements.multipliedReportingOverflow(by: elementBytes)
            guard !o1 else { throw .memory(.sizeOverflow(what: name)) }
            let aligned = (bytes + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment
            entries.append(PlanEntry(name: name, shape: shape, bytes: aligned, offset: offset))
            let (next, o2) = offset.addingReportingOverflow(aligned)
            guard !o2 else { throw .memory(.sizeOverflow(what: name)) }
            offset = next
        }
        func product(_ values: Int...) throws(CoreError) -> Int {
            var p = 1
            for v in values {
                let (r, o) = p.multipliedReportingOverflow(by: v)
                guard !o else { throw .memory(.sizeOverflow(what: "plan")) }
                p = r
            }
            return p
        }
        let r = "\(rows)"
        try add("residual x", "[\(r) × \(c.embeddingLength)] f32", try product(rows, c.embeddingLength), 4)
        try add("normed xb", "[\(r) × \(max(c.embeddingLength, c.qDim))] f32", try product(rows, max(c.embeddingLength, c.qDim)), 4)
        if c.family == .glm4 {
            try add("post-norm out", "[\(r) × \(c.embeddingLength)] f32", try product(rows, c.embeddingLength), 4)
        } else {
            try add("post-norm out", "unused (GLM-4 only)", 1, 4)
        }
        try add("query q", "[\(r) × \(c.qDim)] f32", try product(rows, c.qDim), 4)
        try add("key k", "[\(r) × \(c.kvDim)] f32", try product(rows, c.kvDim), 4)
        try add("value v", "[\(r) × \(c.kvDim)] f32", try product(rows, c.kvDim), 4)
        try add("attention out", "[\(r) × \(c.qDim)] f32", try product(rows, c.qDim), 4)
        try add("gate|up hb", "[\(r) × \(gateUpRows)] f32", try product(rows, gateUpRows), 4)
        try add("ffn hidden hb2", "[\(r) × \(c.feedForwardLength)] f32", try product(rows, c.feedForwardLength), 4)
        try add("rope cos|sin", "[\(r) × \(c.ropeDimensions)] f32", try product(rows, c.ropeDimensions), 4)
        // Per thread: the scores of one KV head's query group, then one K or V head row
        // widened to f32 (read once for the whole group), padded to whole cache lines.
        let group = c.headCount / max(c.kvHeadCount, 1)
        let perThread = AttentionTask.scratchFloatsPerTask(groupSize: group, maxContext: limits.maxContext, headDim: c.headDim)
        try add("attention scores",
                "[\(limits.threads) threads × (\(group) heads × \(limits.maxContext) + \(c.headDim), padded to \(perThread))] f32",
                try product(limits.threads, perThread), 4)
        try add("quantized activations", "[\(r) × \(widestInput)] i8", try product(rows, widestInput), 1)
        try add("activation scales", "[\(r) × \(widestInput / 32 + 1)] f32", try product(rows, widestInput / 32 + 1), 4)
        try add("activation block sums", "[\(r) × \(widestInput / 32 + 1)] i32", try product(rows, widestInput / 32 + 1), 4)
        try add("logits", "[\(limits.logitsCapacity) × \(c.vocabularySize)] f32", try product(limits.logitsCapacity, c.vocabularySize), 4)
        try add("KV pages", "\(limits.poolPages) pages × [\(c.layerCount) layers × K|V × \(KVPageLayout.tokensPerPage) tokens × \(c.kvDim)] \(limits.kvType.name)",
                try product(limits.poolPages, layout.pageBytes), 1)
        self.entries = entries
        arenaBytes = offset
    }

    public func entry(_ name: String) -> PlanEntry {
        for e in entries where e.name == name { return e }
        preconditionFailure("no plan entry '\(name)'")
    }

    /// Total resident memory the plan accounts for.
    public var totalBytes: Int { arenaBytes + weightsBytes }

    /// The plan as a table for people (`autoglm plan`, `generate --verbose`, budget errors).
    public var description: String {
        var lines: [String] = []
        lines.append("memory plan: context \(limits.maxContext), batch \(limits.maxBatch), prefill chunk \(limits.prefillChunk), threads \(limits.threads), kv \(limits.kvType.name), "
            + "\(limits.sequenceSlots) sequences, \(limits.poolPages) KV pages of \(KVPageLayout.tokensPerPage) tokens")
        for e in entries {
            lines.append("  " + pad(e.name, 24) + pad(formatBytes(e.bytes), 12) + e.shape)
        }
        lines.append("  " + pad("arena total", 24) + formatBytes(arenaBytes) + " (allocated once)")
        lines.append("  " + pad("weights (mapped)", 24) + formatBytes(weightsBytes))
        lines.append("  " + pad("total", 24) + formatBytes(totalBytes))
        return lines.joined(separator: "\n")
    }

    /// Fails with the plan in the message when it does not fit `budgetBytes`.
    public func check(budgetBytes: Int) throws(CoreError) {
        guard totalBytes <= budgetBytes else {
            throw .memory(.exceedsBudget(planBytes: totalBytes, budgetBytes: budgetBytes, plan: description))
        }
    }
}

func pad(_ s: String, _ width: Int) -> String {
    let n = s.utf8.count
    return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
}

/// "12.3 MiB" style sizes without Foundation.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : formatDouble(value, fractionDigits: 1) + " " + units[unit]
}
