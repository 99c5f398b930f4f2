/// The pieces every family's forward pass is made of. Buffers are [rows × width]
/// row-major; T is the number of tokens in this pass.
extension InferenceState {
    /// x[t] = embedding row of tokens[t].
    func embed(_ tokens: UnsafeBufferPointer<Int32>) {
        let d = config.embeddingLength
        for t in 0..<tokens.count {
            model.tokenEmbedding.dequantizeRow(Int(tokens[t]), into: x + t * d)
        }
    }

    /// cos/sin of every rotating pair for positions start..<start+T, shared by all layers.
    func prepareRope(startPosition: Int, tokens: Int) {
        let nRot = config.ropeDimensions
        for t in 0..<tokens {
            let position = Double(startPosition + t)
            for i in 0..<(nRot / 2) {
                let (c, s) = DeterministicMath.cosSin(position * model.ropeInverseFrequencies[i])
                ropeCosSin[t * nRot + 2 * i] = Float(c)
                ropeCosSin[t * nRot + 2 * i + 1] = Float(s)
            }
        }
    }

    /// Rotates the first n_rot dims of each of `heads` heads in row `t` of `buffer`.
    func applyRope(_ buffer: UnsafeMutablePointer<Float>, heads: Int, token t: Int) {
        let nRot = config.ropeDimensions
        let headDim = config.headDim
        let half = nRot / 2
        // Pair partner offsets: NORM rotates (2i, 2i+1), NeoX (i, i + n_rot/2). Read once
        // here: `config` copies the whole ModelConfig on every access.
        let pairsAreAdjacent = config.ropeStyle == .normal
        let table = ropeCosSin + t * nRot
        let row = buffer + t * heads * headDim
        for h in 0..<heads {
            let head = row + h * headDim
            for i in 0..<half {
                let c = table[2 * i]
                let s = table[2 * i + 1]
                let (ia, ib) = pairsAreAdjacent ? (2 * i, 2 * i + 1) : (i, i + half)
                let a = head[ia]
                let b = head[ib]
                head[ia] = a * c - b * s
                head[ib] = a * s + b * c
            }
        }
    }

    /// out[t] = W · in[t] (+ bias) for t < T, on the external backend when one is set and
    /// takes this matrix, else on our kernels.
    func linear(_ w: WeightMatrix, bias: UnsafePointer<Float>? = nil, input: UnsafePointer<Float>, inputWidth: Int,
                output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int) {
        guard let external = externalLinear else {
            ownLinear(w, bias: bias, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens)
            return
        }
        if !external.linear(w, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens) {
            ownLinear(w, bias: bias, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens)
        }
        external.didCompute(w, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens)
    }

    private func ownLinear(_ w: WeightMatrix, bias: UnsafePointer<Float>?, input: UnsafePointer<Float>, inputWidth: Int,
                           output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int) {
        kernels.matmul(w, x: input, xStride: inputWidth, tokens: tokens, out: output, outStride: outputWidth, scratch: scratch)
        if let bias {
            for t in 0..<tokens { Ops.add(output + t * outputWidth, bias, count: w.rows) }
        }
    }

    /// Start of layer `layer`'s K (or V) rows for `sequence` in the KV cache: [maxContext × kvDim].
    func kvRows(sequence: Int, layer: Int, value: Bool) -> UnsafeMutableRawPointer {
        let perBlock = limits.maxContext * config.kvDim * limits.kvType.bytes
        return kvBase + ((sequence * config.layerCount + layer) * 2 + (value ? 1 : 0)) * perBlock
    }

    /// Self-attention of one layer over the T tokens in `xb` (already normed):
    /// Q/K/V projections, RoPE, KV append, causal GQA attention, output projection.
    /// Leaves the block output [T × d_model] in `xb`.
    func selfAttention(_ w: LayerWeights, layer: Int, tokens: Int, startPosition: Int, sequence: Int) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        linear(w.wq, bias: w.bq, input: xb, inputWidth: rowWidth, output: q, outputWidth: c.qDim, tokens: tokens)
        linear(w.wk, bias: w.bk, input: xb, inputWidth: rowWidth, output: k, outputWidth: c.kvDim, tokens: tokens)
        linear(w.wv, bias: w.bv, input: xb, inputWidth: rowWidth, output: v, outputWidth: c.kvDim, tokens: tokens)

        let keys = kvRows(sequence: sequence, layer: layer, value: false)
        let values = kvRows(sequence: sequence, layer: layer, value: true)
        let kvType = limits.kvType
        for t in 0..<tokens {
            applyRope(q, heads: c.headCount, token: t)
            applyRope(k, heads: c.kvHeadCount, token: t)
            let position = startPosition + t
            storeKV(k + t * c.kvDim, into: keys, position: position, type: kvType)
            storeKV(v + t * c.kvDim, into: values, position: position, type: kvType)
        }

        attention.keys = keys
        attention.values = values
        attention.tokens = tokens
        attention.startPosition = startPosition
        attention.taskCount = min(kernels.pool.threadCount, c.headCount)
        kernels.pool.run(attention.taskCount, attention)
        linear(w.wo, input: attentionOut, inputWidth: c.qDim, output: xb, outputWidth: rowWidth, tokens: tokens)
    }

    private func storeKV(_ row: UnsafePointer<Float>, into cache: UnsafeMutableRawPointer, position: Int, type: KVCacheType) {
        let n = config.kvDim
        switch type {
        case .f32:
            (cache.assumingMemoryBound(to: Float.self) + position * n).update(from: row, count: n)
        case .f16:
            let dst = cache.assumingMemoryBound(to: UInt16.self) + position * n
            for i in 0..<n { dst[i] = HalfFloat.fromFloat(row[i]) }
        }
    }

    /// SwiGLU MLP over the T normed rows in `xb`; leaves [T × d_model] in `xb`.
    /// With a fused gate_up matrix the first ffn rows are the gate, the rest the up projection.
    func feedForward(_ w: LayerWeights, tokens: Int) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let ffn = c.feedForwardLength
        if let gate = w.wGate {
            linear(gate, input: xb, inputWidth: rowWidth, output: hb, outputWidth: 2 * ffn, tokens: tokens)
            linear(w.wUp, input: xb, inputWidth: rowWidth, output: hb + ffn, outputWidth: 2 * ffn, tokens: tokens)
        } else {
            linear(w.wUp, input: xb, inputWidth: rowWidth, output: hb, outputWidth: 2 * ffn, tokens: tokens)
        }
        for t in 0..<tokens {
            Ops.swiGLU(gate: hb + t * 2 * ffn, up: hb + t * 2 * ffn + ffn, count: ffn, out: hb2 + t * ffn)
        }
        linear(w.wDown, input: hb2, inputWidth: ffn, output: xb, outputWidth: rowWidth, tokens: tokens)
    }

    /// xb[t] = RMSNorm(source[t]) · weight for t < T.
    func normRows(_ source: UnsafePointer<Float>, sourceWidth: Int, weight: UnsafePointer<Float>, tokens: Int,
                  into target: UnsafeMutablePointer<Float>, targetWidth: Int) {
        for t in 0..<tokens {
            Ops.rmsNorm(source + t * sourceWidth, weight: weight, count: config.embeddingLength, eps: config.rmsEps,
                        out: target + t * targetWidth)
        }
    }

    /// Final norm of the last token and the output projection into logits[sequence].
    func computeLogits(lastToken t: Int, sequence: Int) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        Ops.rmsNorm(x + t * d, weight: model.outputNorm, count: d, eps: c.rmsEps, out: xb)
        linear(model.output, input: xb, inputWidth: rowWidth, output: logits + sequence * c.vocabularySize,
               outputWidth: c.vocabularySize, tokens: 1)
    }
}
