/// Llama (and Llama-3 with its rope_freqs scaling): a pre-norm decoder.
///
///   h = embed(tokens)                                   [T × d]
///   for each layer:
///     h = h + Attn(RMSNorm(h) · attn_norm)               GQA, RoPE on pairs (2i, 2i+1)
///     h = h + W_down(silu(W_gate x) ⊙ W_up x),  x = RMSNorm(h) · ffn_norm
///   logits = W_out · RMSNorm(h[last row of each sequence]) · output_norm   [vocab]
extension InferenceState {
    func forwardLlama(_ batch: ForwardBatch) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let T = batch.rowCount                            // rows of every sequence in the batch
        embed(batch)
        prepareRope(batch)
        for l in 0..<c.layerCount {
            let w = model.layers[l]
            // Each norm goes straight into the int8 activations of the matmuls after it
            // when those take int8 input (normForMatmul), else into xb.
            let attentionInQuantized = normForMatmul(x, sourceWidth: d, weight: w.attentionNorm, tokens: T,
                                                     feeding: w.wq, w.wk, w.wv)
            selfAttention(w, layer: l, batch, inputQuantized: attentionInQuantized)
            for t in 0..<T { Ops.add(x + t * d, xb + t * rowWidth, count: d) }

            let ffnInQuantized = normForMatmul(x, sourceWidth: d, weight: w.ffnNorm, tokens: T, feeding: w.wUp, w.wGate)
            feedForward(w, layer: l, tokens: T, inputQuantized: ffnInQuantized)
            for t in 0..<T { Ops.add(x + t * d, xb + t * rowWidth, count: d) }
        }
        computeLogits(batch)
    }
}
