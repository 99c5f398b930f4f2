/// GLM (transformers' GlmForCausalLM, GGUF arch `chatglm`) and GLM-4 (Glm4ForCausalLM,
/// arch `glm4`): pre-norm decoders with partial RoPE on pairs (2i, 2i+1) of the first
/// n_rot = head_dim · partial_rotary_factor dims, QKV bias (GLM), a fused gate_up
/// projection whose first half is the gate, and — in GLM-4 only — a norm on each
/// sub-block's output before the residual add.
///
///   h = embed(tokens)
///   for each layer:
///     a = Attn(RMSNorm(h) · attn_norm);       GLM-4: a = RMSNorm(a) · post_attention_norm
///     h = h + a
///     m = MLP(RMSNorm(h) · ffn_norm);          GLM-4: m = RMSNorm(m) · post_ffw_norm
///     h = h + m
///   logits = W_out · RMSNorm(h[last row of each sequence]) · output_norm
extension InferenceState {
    func forwardGLM(_ batch: ForwardBatch) {
        let c = config
        let d = c.embeddingLength
        let rowWidth = max(d, c.qDim)
        let T = batch.rowCount                            // rows of every sequence in the batch
        embed(batch)
        prepareRope(batch)
        for l in 0..<c.layerCount {
            let w = model.layers[l]
            // Pre-norms go straight into the matmuls' int8 activations where they can (normForMatmul).
            let attentionInQuantized = normForMatmul(x, sourceWidth: d, weight: w.attentionNorm, tokens: T,
                                                     feeding: w.wq, w.wk, w.wv)
            selfAttention(w, layer: l, batch, inputQuantized: attentionInQuantized)
            if let post = w.postAttentionNorm {
                normRows(xb, sourceWidth: rowWidth, weight: post, tokens: T, into: postNormOut, targetWidth: d)
                for t in 0..<T { Ops.add(x + t * d, postNormOut + t * d, count: d) }
            } else {
                for t in 0..<T { Ops.add(x + t * d, xb + t * rowWidth, count: d) }
            }

            let ffnInQuantized = normForMatmul(x, sourceWidth: d, weight: w.ffnNorm, tokens: T, feeding: w.wUp, w.wGate)
            feedForward(w, layer: l, tokens: T, inputQuantized: ffnInQuantized)
            if let post = w.postFfnNorm {
                normRows(xb, sourceWidth: rowWidth, weight: post, tokens: T, into: postNormOut, targetWidth: d)
                for t in 0..<T { Ops.add(x + t * d, postNormOut + t * d, count: d) }
            } else {
                for t in 0..<T { Ops.add(x + t * d, xb + t * rowWidth, count: d) }
            }
        }
        computeLogits(batch)
    }
}
