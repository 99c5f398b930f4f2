import AutoGLMCore

/// A text cut into evaluation windows exactly as `Perplexity` (and llama.cpp's
/// perplexity tool) does: tokenized once with BOS first when the vocabulary adds one,
/// ⌊N / context⌋ non-overlapping windows, each window's first token replaced by BOS.
/// Calibration, sensitivity and pruning all read text this way, so their numbers are
/// about the same tokens `autoglm perplexity` scores.
public struct TextWindows {
    public let tokens: [Int32]
    public let context: Int
    public let bos: Int32?

    public init(tokenizer: Tokenizer, text: String, context: Int) {
        tokens = tokenizer.encode(text, addBos: tokenizer.addBosDefault)
        self.context = context
        bos = tokenizer.addBosDefault ? tokenizer.bosTokenId : nil
    }

    /// Already tokenized text (tests, tools that tokenize themselves).
    public init(tokens: [Int32], context: Int, bos: Int32?) {
        self.tokens = tokens
        self.context = context
        self.bos = bos
    }

    public var count: Int { tokens.count / context }

    /// Window `w`: `context` tokens, BOS first when the vocabulary adds one.
    public func window(_ w: Int) -> [Int32] {
        var ids = Array(tokens[(w * context)..<((w + 1) * context)])
        if let bos { ids[0] = bos }
        return ids
    }

    /// The first `limit` windows' tokens back to back, for `Perplexity.evaluate` on a
    /// subset (nil: all).
    public func prefix(windows limit: Int?) -> [Int32] {
        let n = limit.map { min($0, count) } ?? count
        return Array(tokens[0..<(n * context)])
    }
}

extension ActivationObserver {
    /// Runs the first `maxWindows` windows through `state` with this observer attached
    /// (calibration statistics, pruning importance). The forward pass computes the output
    /// projection only for a chunk's last token, so the output site sees one row per
    /// chunk: plan `state` with prefill chunk 1 to observe it at every position.
    public func run(state: InferenceState, windows: TextWindows, maxWindows: Int?, progress: (Int, Int) -> Void) {
        let n = maxWindows.map { min($0, windows.count) } ?? windows.count
        state.activationObserver = self
        defer { state.activationObserver = nil }
        for w in 0..<n {
            windows.window(w).withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
            progress(w + 1, n)
        }
    }
}
