import AutoGLMCore

/// Greedy decoding straight over InferenceState (no sampler, no tokenizer), so model
/// tests exercise exactly the forward pass.
struct GreedyRun {
    var firstLogits: [Float] = []
    var tokens: [Int32] = []
    /// FNV-1a over the bytes of every step's logits: a fingerprint of all numbers produced.
    var logitsHash: UInt64 = 0xcbf2_9ce4_8422_2325

    init(state: InferenceState, prompt: [Int32], steps: Int) {
        let vocab = state.config.vocabularySize
        prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
        var position = prompt.count
        for step in 0..<steps {
            let logits = UnsafeBufferPointer(start: state.logits, count: vocab)
            if step == 0 { firstLogits = Array(logits) }
            for value in logits {
                var bits = value.bitPattern
                for _ in 0..<4 {
                    logitsHash = (logitsHash ^ UInt64(bits & 0xFF)) &* 0x100_0000_01b3
                    bits >>= 8
                }
            }
            var best = 0
            for i in 1..<vocab where logits[i] > logits[best] { best = i }
            tokens.append(Int32(best))
            if step + 1 < steps {
                var next = Int32(best)
                withUnsafePointer(to: &next) { state.forward(tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: position) }
                position += 1
            }
        }
    }
}
