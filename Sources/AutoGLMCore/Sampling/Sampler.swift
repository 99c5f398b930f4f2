/// Turns one row of logits into one token, allocating nothing per call.
///
/// The chain is llama.cpp's default common sampler chain (penalties → top-k → top-p →
/// min-p → temperature → draw), in exactly this order:
///
///  1. NaN logits become -inf, so ranking is a total order.
///  2. Penalties, over the last `penaltyWindow` tokens of `history` (ids outside the
///     vocabulary are ignored), applied in place to `logits`: for each distinct token
///     seen c times, a logit ≤ 0 is multiplied by `repetitionPenalty` and a positive one
///     divided by it, then `c · frequencyPenalty + presencePenalty` is subtracted.
///  3. Temperature 0: return the argmax (lowest id among equal logits). The RNG is
///     not advanced.
///  4. Top-k: keep the k best-ranked tokens (ranking: higher logit first, then lower id).
///  5. Softmax at temperature 1 over the remaining tokens, e^(logit − max), with
///     DeterministicMath.exp.
///  6. Top-p: keep the smallest best-first prefix whose mass is ≥ topP (at least one).
///  7. Min-p: drop tokens whose probability is < minP · pmax.
///  8. Temperature: weights e^((logit − max) / temperature) over the survivors — so,
///     as in llama.cpp, temperature shapes only the final draw, and the filters in 4–7
///     see the temperature-1 distribution.
///  9. Draw: u = rng.nextFloat() · Σweights; the first candidate (in candidate order)
///     whose running sum exceeds u.
///
/// Every step is IEEE arithmetic in a fixed order with fixed tie-breaking, so the same
/// logits, history and seed give the same token on x86 and aarch64.
public final class Sampler {
    public private(set) var config: SamplerConfig
    public let vocabularySize: Int
    /// The random stream; save and restore it (`rng.state`) to checkpoint a sequence.
    public var rng: SamplerRNG

    // Scratch, allocated once here and sized by the vocabulary, so `sample` allocates
    // nothing whatever the config.
    /// Token ids still in play; best first once ranked.
    private let candidates: UnsafeMutablePointer<Int32>
    /// Indexed by token id: the softmax numerator of a candidate.
    private let weights: UnsafeMutablePointer<Float>
    /// Indexed by token id: occurrences in the penalty window. All zero between calls.
    private let occurrences: UnsafeMutablePointer<Int32>
    /// The distinct ids seen in the penalty window (at most one per vocabulary entry).
    private let penalizedTokens: UnsafeMutablePointer<Int32>

    /// The vocabulary must fit token ids in Int32.
    public static let maximumVocabularySize = Int(Int32.max)

    public init(config: SamplerConfig, vocabularySize: Int) throws(CoreError) {
        guard vocabularySize >= 1, vocabularySize <= Self.maximumVocabularySize else {
            throw .invalidArgument(name: "vocabularySize", value: "\(vocabularySize)",
                                   reason: "must be between 1 and \(Self.maximumVocabularySize)")
        }
        self.config = try config.validated()
        self.vocabularySize = vocabularySize
        rng = SamplerRNG(seed: config.seed)
        candidates = .allocate(capacity: vocabularySize)
        weights = .allocate(capacity: vocabularySize)
        occurrences = .allocate(capacity: vocabularySize)
        occurrences.initialize(repeating: 0, count: vocabularySize)
        penalizedTokens = .allocate(capacity: vocabularySize)
    }

    deinit {
        candidates.deallocate()
        weights.deallocate()
        occurrences.deallocate()
        penalizedTokens.deallocate()
    }

    /// Switches to another config (say, for the next request on this slot) and reseeds
    /// the RNG from it. Allocates nothing: the scratch does not depend on the config.
    public func reconfigure(_ newConfig: SamplerConfig) throws(CoreError) {
        config = try newConfig.validated()
        rng = SamplerRNG(seed: newConfig.seed)
    }

    /// Picks the next token from `logits[0..<vocabularySize]`, which it modifies in
    /// place (NaNs replaced, penalties applied). `history` is the sequence so far,
    /// oldest first.
    public func sample(logits: UnsafeMutablePointer<Float>, history: UnsafeBufferPointer<Int32>) -> Int32 {
        replaceNaNs(logits)
        if config.hasPenalties { applyPenalties(logits, history) }
        if config.temperature == 0 { return argmax(logits) }

        let ranking = CandidateRanking(logits: logits)
        var count = vocabularySize
        for id in 0..<vocabularySize { candidates[id] = Int32(truncatingIfNeeded: id) }
        var isRanked = false
        if config.topK > 0 && config.topK < vocabularySize {
            ranking.selectBest(config.topK, of: candidates, count: count)
            count = config.topK
            isRanked = true
        }

        var maxLogit = logits[Int(candidates[0])]
        if !isRanked {
            for i in 1..<count { maxLogit = max(maxLogit, logits[Int(candidates[i])]) }
        }
        // Every logit is -inf: no distribution to draw from; answer like greedy does.
        if maxLogit == -.infinity { return argmax(logits) }

        if config.topP < 1 || config.minP > 0 {
            let mass = computeWeights(logits, count: count, maxLogit: maxLogit, temperature: 1)
            if config.topP < 1 {
                count = keepNucleus(ranking, count: count, isRanked: isRanked, target: Double(config.topP) * mass)
                isRanked = true
            }
            if config.minP > 0 { count = dropBelowMinP(count: count) }
        }

        let total = computeWeights(logits, count: count, maxLogit: maxLogit, temperature: config.temperature)
        return draw(count: count, total: total)
    }

    private func replaceNaNs(_ logits: UnsafeMutablePointer<Float>) {
        for i in 0..<vocabularySize where logits[i].isNaN { logits[i] = -.infinity }
    }

    /// Counts each distinct recent token once, penalizes it, and resets its count, so
    /// the cost is O(window), not O(vocabulary).
    private func applyPenalties(_ logits: UnsafeMutablePointer<Float>, _ history: UnsafeBufferPointer<Int32>) {
        let windowStart = history.count - min(config.penaltyWindow, history.count)
        var distinct = 0
        for i in windowStart..<history.count {
            let token = history[i]
            guard token >= 0, Int(token) < vocabularySize else { continue }
            if occurrences[Int(token)] == 0 {
                penalizedTokens[distinct] = token
                distinct += 1
            }
            occurrences[Int(token)] += 1
        }
        for j in 0..<distinct {
            let id = Int(penalizedTokens[j])
            var logit = logits[id]
            if logit <= 0 { logit *= config.repetitionPenalty } else { logit /= config.repetitionPenalty }
            logit -= Float(occurrences[id]) * config.frequencyPenalty + config.presencePenalty
            logits[id] = logit
            occurrences[id] = 0
        }
    }

    /// Index of the largest logit; the strict comparison makes the lowest id win ties.
    private func argmax(_ logits: UnsafeMutablePointer<Float>) -> Int32 {
        var best = 0
        var bestLogit = logits[0]
        for i in 1..<vocabularySize where logits[i] > bestLogit {
            best = i
            bestLogit = logits[i]
        }
        return Int32(truncatingIfNeeded: best)
    }

    /// Fills `weights[id] = e^((logit − maxLogit) / temperature)` for the candidates
    /// and returns their sum. The best candidate's weight is exactly 1.
    private func computeWeights(
        _ logits: UnsafeMutablePointer<Float>, count: Int, maxLogit: Float, temperature: Float
    ) -> Double {
        var sum = 0.0
        for i in 0..<count {
            let id = Int(candidates[i])
            let w = DeterministicMath.exp((logits[id] - maxLogit) / temperature)
            weights[id] = w
            sum += Double(w)
        }
        return sum
    }

    /// Top-p: the best-first prefix up to and including the candidate at which the
    /// running mass first reaches `target`.
    private func keepNucleus(_ ranking: CandidateRanking, count: Int, isRanked: Bool, target: Double) -> Int {
        var mass = 0.0
        if isRanked {
            for i in 0..<count {
                mass += Double(weights[Int(candidates[i])])
                if mass >= target { return i + 1 }
            }
            return count
        }
        return ranking.takeBest(from: candidates, count: count) { id in
            mass += Double(weights[Int(id)])
            return mass >= target
        }
    }

    /// Min-p: with the best weight equal to 1, p < minP · pmax is simply weight < minP.
    /// Compacts in place, keeping candidate order; the best always survives.
    private func dropBelowMinP(count: Int) -> Int {
        var kept = 0
        for i in 0..<count {
            let id = candidates[i]
            if weights[Int(id)] >= config.minP {
                candidates[kept] = id
                kept += 1
            }
        }
        return kept
    }

    /// Inverse-CDF draw. u < total because nextFloat() < 1, and the running sum below
    /// repeats `computeWeights`' additions exactly, so some candidate with a non-zero
    /// weight is always reached; the final return only guards against the impossible.
    private func draw(count: Int, total: Double) -> Int32 {
        let u = Double(rng.nextFloat()) * total
        var running = 0.0
        for i in 0..<count {
            running += Double(weights[Int(candidates[i])])
            if u < running { return candidates[i] }
        }
        return candidates[count - 1]
    }
}
