import CAutoGLMKernels

/// Perplexity as llama.cpp's `perplexity` tool defines it, so the two can be compared on
/// the same GGUF and text:
///
/// - the text is tokenized once; it is cut into ⌊N / n_ctx⌋ non-overlapping windows of
///   n_ctx tokens (a trailing partial window is dropped);
/// - when the vocabulary adds BOS, the first token of each window is replaced by BOS;
/// - each window is evaluated from an empty KV cache, and only its second half is scored:
///   the logits at positions n_ctx/2 … n_ctx−2 predict tokens n_ctx/2+1 … n_ctx−1;
/// - perplexity = exp(mean negative log-likelihood over every scored token).
///
/// Bits per byte divides the same total NLL, in bits, by the UTF-8 bytes of the scored tokens.
public struct PerplexityResult: Equatable {
    public var windows: Int
    public var scoredTokens: Int
    public var scoredBytes: Int
    public var totalNegativeLogLikelihood: Double  // nats

    public var perplexity: Double {
        scoredTokens == 0 ? .nan : DeterministicMath.expDouble(totalNegativeLogLikelihood / Double(scoredTokens))
    }

    public var bitsPerByte: Double {
        scoredBytes == 0 ? .nan : totalNegativeLogLikelihood / DeterministicMath.logDouble(2) / Double(scoredBytes)
    }
}

public enum Perplexity {
    /// Scores `tokens` (already tokenized) with windows of `context` tokens. `bos` replaces
    /// each window's first token when given. `tokenByteCount` gives the UTF-8 length of a
    /// token's text for bits per byte. `onWindow` reports progress (windows done, total).
    /// `onScored` sees every scored position's logits [vocab] and the token they predict,
    /// in order (to compare two models' next-token distributions); the pointer is valid
    /// during the call only.
    public static func evaluate(state: InferenceState, tokens: [Int32], context: Int, bos: Int32?,
                                tokenByteCount: (Int32) -> Int,
                                onWindow: (Int, Int) -> Void = { _, _ in },
                                onScored: (UnsafePointer<Float>, Int32) -> Void = { _, _ in }) throws(CoreError) -> PerplexityResult {
        guard context >= 4, context <= state.limits.maxContext else {
            throw .invalidArgument(name: "context", value: "\(context)",
                                   reason: "must be between 4 and the planned context \(state.limits.maxContext)")
        }
        let windows = tokens.count / context
        guard windows >= 1 else {
            throw .invalidArgument(name: "text", value: "\(tokens.count) tokens", reason: "needs at least one window of \(context) tokens")
        }
        let vocab = state.config.vocabularySize
        for id in tokens where id < 0 || Int(id) >= vocab {
            throw .tokenizer(.tokenOutOfRange(id: Int(id), vocabularySize: vocab))
        }
        var result = PerplexityResult(windows: windows, scoredTokens: 0, scoredBytes: 0, totalNegativeLogLikelihood: 0)
        var window = [Int32](repeating: 0, count: context)
        let first = context / 2
        // Scored positions go through batched passes with a logits row each, as many per
        // pass as the plan has logits rows for (1 for a plan made for generation).
        let rowsPerPass = min(state.plan.rows, state.limits.logitsCapacity)
        let path = state.kernels.path
        for w in 0..<windows {
            for i in 0..<context { window[i] = tokens[w * context + i] }
            if let bos { window[0] = bos }
            window.withUnsafeBufferPointer { ids in
                // Unscored first half: only its K/V is needed.
                state.prefill(tokens: UnsafeBufferPointer(rebasing: ids[0..<first]), startPosition: 0, wantsLogits: false)
                // Scored half: logits at position p predict ids[p + 1], for p in first ... context − 2.
                var p = first
                while p < context - 1 {
                    let n = min(rowsPerPass, context - 1 - p)
                    state.forwardLogitsOfEveryToken(tokens: UnsafeBufferPointer(rebasing: ids[p..<(p + n)]), startPosition: p)
                    for i in 0..<n {
                        let logits = UnsafePointer(state.logits + i * vocab)
                        let target = ids[p + i + 1]
                        onScored(logits, target)
                        result.totalNegativeLogLikelihood += negativeLogLikelihood(logits, count: vocab, target: Int(target),
                                                                            path: path)
                        result.scoredTokens += 1
                        result.scoredBytes += tokenByteCount(target)
                    }
                    p += n
                }
            }
            onWindow(w + 1, windows)
        }
        return result
    }

    /// −log softmax(logits)[target], in Double: log Σ exp(l − max) − (l_target − max).
    /// `path`: the exps 8 lanes at a time in C where the path has that kernel, the same bits.
    static func negativeLogLikelihood(_ logits: UnsafePointer<Float>, count: Int, target: Int,
                                      path: KernelPath = .scalar) -> Double {
        var maxLogit = -Float.infinity
        for i in 0..<count { maxLogit = max(maxLogit, logits[i]) }
        let m = Double(maxLogit)
        var sum = 0.0
        if aglm_sum_exp_shifted(path.rawValue, logits, Int64(count), m, &sum) == 0 {
            for i in 0..<count { sum += DeterministicMath.expDouble(Double(logits[i]) - m) }
        }
        return DeterministicMath.logDouble(sum) - (Double(logits[target]) - m)
    }
}
