/// The pieces every family's forward pass is made of. Buffers are [rows × width]
/// row-major; T is the number of rows in this pass (all sequences of the batch).
extension InferenceState {
    /// x[t] = embedding row of the batch's token t.
    func embed(_ batch: ForwardBatch) {
        let d = config.embeddingLength
        for t in 0..<batch.rowCount {
            model.tokenEmbedding.dequantizeRow(Int(batch.tokens[t]), into: x + t * d)
        }
    }

    /// cos/sin of every rotating pair at each row's own position, shared by all layers.
    func prepareRope(_ batch: ForwardBatch) {
        let nRot = config.ropeDimensions
        for t in 0..<batch.rowCount {
            let position = Double(batch.positions[t])
            for i in 0..<(nRot / 2) {
                let (c, s) = DeterministicMath.cosSin(position * model.ropeInverseFrequencies[i])
                ropeCosSin[t * nRot + 2 * i] = Float(c)
                ropeCosSin[t * nRot + 2 * i + 1] = Float(s)
            }
        }
    }

    /// RoPE at row `t`'s position.
    func ropeRotation(token t: Int) -> RopeRotation {
        // Read once here: `config` copies the whole ModelConfig on every access.
        let c = config
        return RopeRotation(table: ropeCosSin + t * c.ropeDimensions, rotatedDims: c.ropeDimensions, headDim: c.headDim,
                            pairsAreAdjacent: c.ropeStyle == .normal)
    }

    /// out[t] = W · in[t] (+ bias) for t < T, on the external backend when one is set and
    /// takes this matrix, else on our kernels.
    /// `inputQuantized`: `input` was normed straight into the quantized scratch (normForMatmul).
    func linear(_ w: WeightMatrix, bias: UnsafePointer<Float>? = nil, input: UnsafePointer<Float>, inputWidth: Int,
                output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int, inputQuantized: Bool = false) {
        if let external = externalLinear,
           external.linear(w, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens) {
            external.didCompute(w, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens)
            return
        }
        kernels.matmul(w, x: input, xStride: inputWidth, tokens: tokens, out: output, outStride: outputWidth, scratch: scratch,
                       inputQuantized: inputQuantized)
        addBias(bias, to: output, width: w.rows, tokens: tokens, stride: outputWidth)
        externalLinear?.didCompute(w, input: input, inputWidth: inputWidth, output: output, outputWidth: outputWidth, tokens: tokens)
    }

    /// out[t·stride ..< t·stride + width] += bias for t < T (nothing when there is no bias).
    func addBias(_ bias: UnsafePointer<Float>?, to output: UnsafeMutablePointer<Float>, width: Int, tokens: Int, stride: Int? = nil) {
        guard let bias else { return }
        for t in 0..<tokens { Ops.add(output + t * (stride ?? width), bias, count: width) }
    }

    /// Self-attention of one layer over the T rows in `xb` (already normed):
    /// Q/K/V projections over every row at once, RoPE, K/V written into each row's
    /// sequence pages, causal GQA attention per sequence, output projection.
    /// Leaves the block output [T × d_model] in `xb`. `inputQuantized`: the normed rows
    /// went straight into the quantized scratch instead of `xb` (normForMatmul).
    func selfAttention(_ w: LayerWeights, layer: Int, _ batch: ForwardBatch, inputQuantized: Bool = false) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let tokens = batch.rowCount
        activationObserver?.observe(site: .attentionInput, layer: layer, values: xb, stride: rowWidth, width: d, tokens: tokens)
        if externalLinear != nil {
            // An external backend (Arm NN) takes each matrix on its own.
            linear(w.wq, bias: w.bq, input: xb, inputWidth: rowWidth, output: q, outputWidth: c.qDim, tokens: tokens)
            linear(w.wk, bias: w.bk, input: xb, inputWidth: rowWidth, output: k, outputWidth: c.kvDim, tokens: tokens)
            linear(w.wv, bias: w.bv, input: xb, inputWidth: rowWidth, output: v, outputWidth: c.kvDim, tokens: tokens)
        } else {
            // Q, K and V in one pass over the quantized input.
            kernels.matmul(w.wq, x: xb, xStride: rowWidth, tokens: tokens, out: q, outStride: c.qDim, scratch: scratch,
                           second: MatmulOutput(w.wk, out: k, outStride: c.kvDim), third: MatmulOutput(w.wv, out: v, outStride: c.kvDim),
                           inputQuantized: inputQuantized)
            addBias(w.bq, to: q, width: c.qDim, tokens: tokens)
            addBias(w.bk, to: k, width: c.kvDim, tokens: tokens)
            addBias(w.bv, to: v, width: c.kvDim, tokens: tokens)
        }

        let ropeStarted = profile.begin()
        for segment in 0..<batch.segmentCount {
            let table = kvPool.pageTable(batch.segmentSequences[segment])
            let first = batch.segmentFirstRows[segment]
            for t in first..<(first + batch.segmentRowCounts[segment]) {
                // Q rotated in place; K rotated as it is written into its page (one pass).
                let rope = ropeRotation(token: t)
                rope.apply(q + t * c.qDim, heads: c.headCount)
                let position = batch.positions[t]
                let page = kvPool.page(table[position / KVPageLayout.tokensPerPage])
                let slot = position % KVPageLayout.tokensPerPage
                KVRowCodec.store(KVRotatedRow(row: k + t * c.kvDim, rope: rope), page: page, layout: kvPool.layout,
                                 layer: layer, value: false, slot: slot)
                KVRowCodec.store(v + t * c.kvDim, page: page, layout: kvPool.layout, layer: layer, value: true, slot: slot)
            }
        }
        profile.end(.rope, since: ropeStarted)

        attention.layer = layer
        attention.taskCount = min(kernels.pool.threadCount, attention.unitCount)
        let attentionStarted = profile.begin()
        kernels.pool.run(attention.taskCount, attention)
        activationObserver?.observe(site: .attentionOutputInput, layer: layer, values: attentionOut, stride: c.qDim,
                                    width: c.qDim, tokens: tokens)
        profile.end(.attention, since: attentionStarted)
        linear(w.wo, input: attentionOut, inputWidth: c.qDim, output: xb, outputWidth: rowWidth, tokens: tokens)
    }

    /// SwiGLU MLP over the T normed rows in `xb`; leaves [T × d_model] in `xb`.
    /// With a fused gate_up matrix the first ffn rows are the gate, the rest the up projection.
    /// `inputQuantized` as for selfAttention.
    func feedForward(_ w: LayerWeights, layer: Int, tokens: Int, inputQuantized: Bool = false) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let ffn = c.feedForwardLength
        activationObserver?.observe(site: .ffnInput, layer: layer, values: xb, stride: rowWidth, width: d, tokens: tokens)
        if let gate = w.wGate, externalLinear != nil {
            linear(gate, input: xb, inputWidth: rowWidth, output: hb, outputWidth: 2 * ffn, tokens: tokens)
            linear(w.wUp, input: xb, inputWidth: rowWidth, output: hb + ffn, outputWidth: 2 * ffn, tokens: tokens)
        } else if let gate = w.wGate {
            kernels.matmul(gate, x: xb, xStride: rowWidth, tokens: tokens, out: hb, outStride: 2 * ffn, scratch: scratch,
                           second: MatmulOutput(w.wUp, out: hb + ffn, outStride: 2 * ffn), inputQuantized: inputQuantized)
        } else {
            linear(w.wUp, input: xb, inputWidth: rowWidth, output: hb, outputWidth: 2 * ffn, tokens: tokens,
                   inputQuantized: inputQuantized)
        }
        for t in 0..<tokens {
            Ops.swiGLU(gate: hb + t * 2 * ffn, up: hb + t * 2 * ffn + ffn, count: ffn, out: hb2 + t * ffn,
                       path: kernels.path)
        }
        activationObserver?.observe(site: .ffnDownInput, layer: layer, values: hb2, stride: ffn, width: ffn, tokens: tokens)
        linear(w.wDown, input: hb2, inputWidth: ffn, output: xb, outputWidth: rowWidth, tokens: tokens)
    }

    /// xb[t] = RMSNorm(source[t]) · weight for t < T.
    func normRows(_ source: UnsafePointer<Float>, sourceWidth: Int, weight: UnsafePointer<Float>, tokens: Int,
                  into target: UnsafeMutablePointer<Float>, targetWidth: Int) {
        let started = profile.begin()
        defer { profile.end(.norms, since: started) }
        for t in 0..<tokens {
            Ops.rmsNorm(source + t * sourceWidth, weight: weight, count: config.embeddingLength, eps: config.rmsEps,
                        out: target + t * targetWidth)
        }
    }

    /// The T rows of `source` normed for the matmuls `w`, `second`, `third` that read
    /// them next: straight into the quantized activations (returns true; `xb` is not
    /// written) when all of them take int8 input and nothing else wants the float rows —
    /// no external backend, no activation observer — else into `xb` as normRows (false).
    func normForMatmul(_ source: UnsafePointer<Float>, sourceWidth: Int, weight: UnsafePointer<Float>, tokens: Int,
                       feeding w: WeightMatrix, _ second: WeightMatrix? = nil, _ third: WeightMatrix? = nil) -> Bool {
        let c = config
        guard externalLinear == nil, activationObserver == nil, kernels.canFuseNormIntoQuantization(w, second, third) else {
            normRows(source, sourceWidth: sourceWidth, weight: weight, tokens: tokens, into: xb,
                     targetWidth: max(c.embeddingLength, c.qDim))
            return false
        }
        precondition(w.cols == c.embeddingLength, "a normed row feeds matrices \(c.embeddingLength) wide, not \(w.cols)")
        let started = profile.begin()
        kernels.normQuantize(source, xStride: sourceWidth, weight: weight, eps: c.rmsEps, tokens: tokens,
                             cols: c.embeddingLength, into: scratch)
        profile.end(.norms, since: started)
        return true
    }

    /// Final norm of the rows that want logits — each segment's last row, or all its rows
    /// for `.everyRow` — gathered into xb, then one output projection for all of them
    /// into consecutive logits rows.
    func computeLogits(_ batch: ForwardBatch) {
        guard batch.logitsCount > 0 else { return }
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let started = profile.begin()
        // Straight into the quantized activations when nothing needs the float rows (normForMatmul).
        let fused = externalLinear == nil && activationObserver == nil && kernels.canFuseNormIntoQuantization(model.output)
        var n = 0
        for s in 0..<batch.segmentCount where batch.segmentLogitsRows[s] >= 0 {
            let count = batch.segmentLogitsEveryRow[s] ? batch.segmentRowCounts[s] : 1
            let first = batch.segmentFirstRows[s] + batch.segmentRowCounts[s] - count
            if fused {
                kernels.normQuantize(x + first * d, xStride: d, weight: model.outputNorm, eps: c.rmsEps, tokens: count, cols: d,
                                     into: scratch, firstRow: n)
            } else {
                for t in 0..<count {
                    Ops.rmsNorm(x + (first + t) * d, weight: model.outputNorm, count: d, eps: c.rmsEps,
                                out: xb + (n + t) * rowWidth)
                }
            }
            n += count
        }
        activationObserver?.observe(site: .outputInput, layer: -1, values: xb, stride: rowWidth, width: d, tokens: n)
        profile.end(.norms, since: started)
        linear(model.output, input: xb, inputWidth: rowWidth, output: logits + batch.firstLogitsRow * c.vocabularySize,
               outputWidth: c.vocabularySize, tokens: n, inputQuantized: fused)
    }
}
