import CAutoGLMSys

/// A loaded model: its config and weights, pointing into the read-only mapping of the
/// GGUF file, which it keeps alive.
public final class Model {
    public let gguf: GGUFFile
    public let config: ModelConfig
    public let tokenEmbedding: WeightMatrix   // [vocab × d_model]
    public let outputNorm: UnsafePointer<Float>
    public private(set) var output: WeightMatrix  // [vocab × d_model]; the embedding when tied
    public private(set) var layers: [LayerWeights]
    /// Repacked copies of the Q8_0 and INT8 matrices (see `packForFastKernels`), freed with the model.
    private var packedBuffers: [UnsafeMutableRawPointer] = []
    /// Bytes held by those copies (anonymous memory; the file pages they replace are released).
    public private(set) var packedBytes = 0
    /// RoPE inverse frequencies θ_i = base^(−2i/n_rot) / factor_i, for i < n_rot/2.
    public let ropeInverseFrequencies: [Double]

    public convenience init(path: String) throws(CoreError) {
        try self.init(gguf: try GGUFFile(path: path))
    }

    public init(gguf: GGUFFile) throws(CoreError) {
        self.gguf = gguf
        let c = try ModelConfig(gguf: gguf)
        config = c
        let w = WeightLoader(gguf: gguf)
        let d = c.embeddingLength

        tokenEmbedding = try w.matrix("token_embd.weight", rows: c.vocabularySize, cols: d)
        outputNorm = try w.vector("output_norm.weight", count: d)
        output = try w.optionalMatrix("output.weight", rows: c.vocabularySize, cols: d) ?? tokenEmbedding

        let fusedGateUp = c.family == .glm || c.family == .glm4
        let hasBias = c.family == .qwen2 || c.family == .glm
        var layers: [LayerWeights] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            let layer = LayerWeights(
                attentionNorm: try w.vector(p + "attn_norm.weight", count: d),
                wq: try w.matrix(p + "attn_q.weight", rows: c.qDim, cols: d),
                wk: try w.matrix(p + "attn_k.weight", rows: c.kvDim, cols: d),
                wv: try w.matrix(p + "attn_v.weight", rows: c.kvDim, cols: d),
                bq: hasBias ? try w.vector(p + "attn_q.bias", count: c.qDim) : try w.optionalVector(p + "attn_q.bias", count: c.qDim),
                bk: hasBias ? try w.vector(p + "attn_k.bias", count: c.kvDim) : try w.optionalVector(p + "attn_k.bias", count: c.kvDim),
                bv: hasBias ? try w.vector(p + "attn_v.bias", count: c.kvDim) : try w.optionalVector(p + "attn_v.bias", count: c.kvDim),
                wo: try w.matrix(p + "attn_output.weight", rows: d, cols: c.qDim),
                postAttentionNorm: c.family == .glm4 ? try w.vector(p + "post_attention_norm.weight", count: d) : nil,
                ffnNorm: try w.vector(p + "ffn_norm.weight", count: d),
                wGate: fusedGateUp ? nil : try w.matrix(p + "ffn_gate.weight", rows: c.feedForwardLength, cols: d),
                wUp: try w.matrix(p + "ffn_up.weight", rows: (fusedGateUp ? 2 : 1) * c.feedForwardLength, cols: d),
                wDown: try w.matrix(p + "ffn_down.weight", rows: d, cols: c.feedForwardLength),
                postFfnNorm: c.family == .glm4 ? try w.vector(p + "post_ffw_norm.weight", count: d) : nil
            )
            layers.append(layer)
        }
        self.layers = layers

        // Llama-3 rope scaling arrives as per-frequency divisors in `rope_freqs.weight`.
        let pairs = c.ropeDimensions / 2
        let factors = try w.optionalVector("rope_freqs.weight", count: pairs)
        if let factors {
            // Divisors of the frequencies: 0, negative or non-finite ones make every position's angle garbage.
            for i in 0..<pairs where !(factors[i].isFinite && factors[i] > 0) {
                throw .model(.invalidFloatHyperparameter(key: "rope_freqs.weight[\(i)]", value: Double(factors[i]),
                                                         reason: "a RoPE frequency factor must be a finite number > 0"))
            }
        }
        var inv: [Double] = []
        for i in 0..<pairs {
            var f = DeterministicMath.powDouble(c.ropeBase, -Double(2 * i) / Double(c.ropeDimensions))
            if let factors { f /= Double(factors[i]) }
            inv.append(f / c.ropeLinearScale)
        }
        ropeInverseFrequencies = inv
    }

    deinit {
        for buffer in packedBuffers { aglm_free(buffer) }
    }

    /// Repacks every Q8_0 and INT8 matrix the matmuls read into the x86 kernels' layout
    /// (InterleavedWeights) and releases the file pages it was read from, so resident memory holds
    /// one copy. Done once, at start-up, by InferenceState for the emulation backend on a
    /// kernel path that reads that layout (KernelPath.usesRepackedWeights); the file layout
    /// (`data`) stays valid for the reference backend, the embedding lookup of tied models,
    /// the tail rows and the scalar path.
    public func packForFastKernels() throws(CoreError) {
        guard packedBuffers.isEmpty else { return }
        func pack(_ w: inout WeightMatrix) throws(CoreError) {
            guard w.packed == nil, let buffer = try InterleavedWeights.pack(w) else { return }
            packedBuffers.append(buffer)
            let bytes = InterleavedWeights.packedBytes(w)
            packedBytes += bytes
            w.packed = UnsafeRawPointer(buffer)
            gguf.file.releasePages(from: w.data, count: bytes)
        }
        try pack(&output)
        for i in 0..<layers.count {
            try pack(&layers[i].wq)
            try pack(&layers[i].wk)
            try pack(&layers[i].wv)
            try pack(&layers[i].wo)
            if layers[i].wGate != nil { try pack(&layers[i].wGate!) }
            try pack(&layers[i].wUp)
            try pack(&layers[i].wDown)
        }
    }

    /// Bytes of weights the forward pass reads (mapped, not copied).
    public var weightsBytes: Int {
        var total = tokenEmbedding.residentBytes + (output.data == tokenEmbedding.data ? 0 : output.residentBytes)
        for l in layers {
            total += l.wq.residentBytes + l.wk.residentBytes + l.wv.residentBytes + l.wo.residentBytes
            total += (l.wGate?.residentBytes ?? 0) + l.wUp.residentBytes + l.wDown.residentBytes
        }
        return total
    }
}
