/// Everything one forward pass works in: the model, the arena carved by the memory plan,
/// the KV page pool inside it, and the kernels. Built once at start-up; the forward pass
/// only reads and writes these buffers and allocates nothing.
public final class InferenceState {
    public let model: Model
    public let plan: MemoryPlan
    public let arena: Arena
    public let kernels: LinearKernels
    /// Runs (or watches) the linear layers instead of `kernels` when set: the Arm NN
    /// backend, a calibration pass. Set once after start-up, never per token.
    public var externalLinear: (any ExternalLinearBackend)?
    /// Time per op kind, off unless a caller (autoglm bench --profile) enables it.
    public let profile: OpProfile

    // Activations, each [rows × width] row-major (widths in the plan).
    let x: UnsafeMutablePointer<Float>
    let xb: UnsafeMutablePointer<Float>
    let postNormOut: UnsafeMutablePointer<Float>
    let q: UnsafeMutablePointer<Float>
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let attentionOut: UnsafeMutablePointer<Float>
    let hb: UnsafeMutablePointer<Float>
    let hb2: UnsafeMutablePointer<Float>
    let ropeCosSin: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    public let logits: UnsafeMutablePointer<Float>
    let scratch: ActivationScratch
    public let kvPool: KVPagePool
    /// The rows of the next pass; `forward(batch)` runs whatever is in it.
    public let batch: ForwardBatch
    let attention: AttentionTask
    /// Set by calibration and pruning tools to see each linear layer's input; nil (no
    /// cost, no allocation) for inference.
    public var activationObserver: (any ActivationObserver)?

    /// `kernels`: the C kernel path; nil takes the process's (KernelPath.configured():
    /// AUTOGLM_KERNELS or CPU detection), which throws when AUTOGLM_KERNELS is refused.
    public init(model: Model, limits: RuntimeLimits, backend: Backend, kernels requested: KernelPath? = nil) throws(CoreError) {
        self.model = model
        let path: KernelPath
        if backend == .reference { path = .scalar } else if let requested { path = requested } else { path = try KernelPath.configured() }
        if backend == .emulation && path.usesRepackedWeights { try model.packForFastKernels() }
        let plan = try MemoryPlan(config: model.config, weightsBytes: model.weightsBytes, limits: limits)
        self.plan = plan
        let arena = try Arena(plan: plan)
        self.arena = arena
        let profile = OpProfile()
        self.profile = profile
        kernels = LinearKernels(backend: backend, path: path,
                                pool: try ThreadPool(threads: limits.threads, pinToCores: limits.pinThreads), profile: profile)
        x = arena.floats("residual x")
        xb = arena.floats("normed xb")
        postNormOut = arena.floats("post-norm out")
        q = arena.floats("query q")
        k = arena.floats("key k")
        v = arena.floats("value v")
        attentionOut = arena.floats("attention out")
        hb = arena.floats("gate|up hb")
        hb2 = arena.floats("ffn hidden hb2")
        ropeCosSin = arena.floats("rope cos|sin")
        scores = arena.floats("attention scores")
        logits = arena.floats("logits")
        let quantEntry = plan.entry("quantized activations")
        scratch = ActivationScratch(values: arena.raw("quantized activations").assumingMemoryBound(to: Int8.self),
                                    scales: arena.floats("activation scales"),
                                    sums: arena.raw("activation block sums").assumingMemoryBound(to: Int32.self),
                                    capacity: quantEntry.bytes)
        kvPool = KVPagePool(layout: plan.kvPageLayout, pageCount: limits.poolPages, sequenceCapacity: limits.sequenceSlots,
                            maxContext: limits.maxContext, storage: arena.raw("KV pages"),
                            fingerprint: modelFingerprint(model, kvType: limits.kvType))
        batch = ForwardBatch(rowCapacity: plan.rows, logitsCapacity: limits.logitsCapacity)
        attention = AttentionTask(config: model.config, limits: limits, backend: backend, path: path, pool: kvPool, batch: batch,
                                  q: q, out: attentionOut, scores: scores)
    }

    public var config: ModelConfig { model.config }
    public var limits: RuntimeLimits { plan.limits }

    /// Runs `tokens` (positions startPosition…) of sequence slot `sequence` through the
    /// model, writing their K/V into its pages, and leaves the logits of the last token in
    /// `logits[sequence × vocab …]`. The single-sequence API: it claims the slot and its
    /// pages itself, which the default pool (every slot at full context) always has room
    /// for. Tokens must be < vocab and fit the context; callers validate (Generator does).
    public func forward(tokens: UnsafeBufferPointer<Int32>, startPosition: Int, sequence: Int = 0) {
        forward(tokens: tokens, startPosition: startPosition, sequence: sequence, logits: .lastRow, firstLogitsRow: sequence)
    }

    /// As `forward`, but leaves the logits of every token, in order, in `logits[i × vocab …]`
    /// for i < tokens.count (at most `limits.logitsCapacity`): one batched pass where
    /// scoring each position would otherwise take a decode step per token. Each row's
    /// logits are the same bits `forward` gives when that token is the last one passed.
    public func forwardLogitsOfEveryToken(tokens: UnsafeBufferPointer<Int32>, startPosition: Int, sequence: Int = 0) {
        precondition(tokens.count <= batch.logitsCapacity, "more logits rows than the memory plan's logitsRows")
        forward(tokens: tokens, startPosition: startPosition, sequence: sequence, logits: .everyRow, firstLogitsRow: 0)
    }

    private func forward(tokens: UnsafeBufferPointer<Int32>, startPosition: Int, sequence: Int, logits: ForwardBatch.Logits,
                         firstLogitsRow: Int) {
        precondition(tokens.count >= 1 && tokens.count <= plan.rows, "chunk larger than the memory plan")
        precondition(startPosition + tokens.count <= limits.maxContext, "context overflow")
        precondition(sequence >= 0 && sequence < limits.maxBatch, "sequence \(sequence) outside the batch")
        kvPool.claimSequence(sequence)
        let reserved = kvPool.reserve(sequence, from: startPosition, to: startPosition + tokens.count, now: 0)
        precondition(reserved, "KV pool exhausted: \(kvPool.pageCount) pages")
        batch.removeAll()
        batch.firstLogitsRow = firstLogitsRow
        batch.append(sequence: sequence, tokens: tokens, startPosition: startPosition, logits: logits)
        forwardBatch()
    }

    /// Runs every row of `batch` in one pass: the K/V of each row is written into its
    /// sequence's pages (reserved beforehand with `kvPool.reserve`), and the logits of each
    /// segment that asked for them land in `logits[row × vocab …]`. A row's result does
    /// not depend on what else is in the batch: same bits as running its sequence alone.
    public func forwardBatch() {
        precondition(batch.rowCount >= 1, "empty batch")
        for s in 0..<batch.segmentCount {
            let sequence = batch.segmentSequences[s]
            precondition(kvPool.isInUse(sequence)
                         && kvPool.length(sequence) >= batch.segmentStarts[s] + batch.segmentRowCounts[s],
                         "batch segment \(s): KV pages not reserved")
        }
        switch config.family {
        case .llama: forwardLlama(batch)
        case .qwen2: forwardQwen2(batch)
        case .glm, .glm4: forwardGLM(batch)
        }
    }

    /// Runs any number of prompt tokens through `forward` in the chunks the memory plan
    /// sized the activations for. Every (row, token) is computed the same way whatever the
    /// chunking, so the result equals one big pass bit for bit. Each chunk computes its last
    /// token's logits (an activation observer sees the output projection's input once per
    /// chunk); with `wantsLogits` false none do, when only the K/V is wanted.
    public func prefill(tokens: UnsafeBufferPointer<Int32>, startPosition: Int, sequence: Int = 0, wantsLogits: Bool = true) {
        let chunk = limits.prefillChunk
        var done = 0
        while done < tokens.count {
            let n = min(chunk, tokens.count - done)
            forward(tokens: UnsafeBufferPointer(rebasing: tokens[done..<(done + n)]), startPosition: startPosition + done,
                    sequence: sequence, logits: wantsLogits ? .lastRow : .none, firstLogitsRow: sequence)
            done += n
        }
    }
}
