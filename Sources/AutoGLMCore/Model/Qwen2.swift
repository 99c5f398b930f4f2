/// Qwen2 is the Llama decoder with biases on Q, K and V and NeoX-style RoPE, pairs
/// (i, i + n_rot/2). Both differences live in the data — `LayerWeights.bq/bk/bv` and
/// `ModelConfig.ropeStyle` — so its forward pass is Llama's, step for step.
extension InferenceState {
    func forwardQwen2(_ batch: ForwardBatch) {
        forwardLlama(batch)
    }
}
