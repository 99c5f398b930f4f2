/// How one sequence turns logits into a token. The defaults are greedy decoding with
/// every filter and penalty off; field meanings follow llama.cpp's sampler options so
/// that settings carry over from there unchanged.
public struct SamplerConfig: Equatable, Sendable {
    /// Divides the logits before the final softmax; 0 selects greedy decoding (argmax).
    public var temperature: Float
    /// Keep only the `topK` best-ranked tokens; 0 (or ≥ the vocabulary) turns it off.
    public var topK: Int
    /// Keep the smallest best-first prefix whose probability mass reaches `topP`; 1 is off.
    public var topP: Float
    /// Drop tokens whose probability is below `minP` times the best one's; 0 is off.
    public var minP: Float
    /// Positive logits of recent tokens are divided by it, negative ones multiplied; 1 is off.
    public var repetitionPenalty: Float
    /// Subtracted once from the logit of every token seen in the window.
    public var presencePenalty: Float
    /// Subtracted from a token's logit once per occurrence in the window.
    public var frequencyPenalty: Float
    /// How many of the most recent history tokens the three penalties look at; 0 is off.
    public var penaltyWindow: Int
    /// Seeds the sampler's `SamplerRNG`; the same seed and logits give the same tokens.
    public var seed: UInt64

    public init(
        temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
        repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
        penaltyWindow: Int = 64, seed: UInt64 = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.penaltyWindow = penaltyWindow
        self.seed = seed
    }

    /// Returns `self` if every field is usable, else the first offending field.
    /// Values come from requests over the socket, so nothing here is assumed sane.
    @discardableResult
    public func validated() throws(CoreError) -> SamplerConfig {
        guard temperature.isFinite, temperature >= 0 else {
            throw Self.invalid("temperature", "\(temperature)", "must be a finite number ≥ 0 (0 = greedy)")
        }
        guard topK >= 0 else {
            throw Self.invalid("topK", "\(topK)", "must be ≥ 0 (0 = off)")
        }
        guard topP > 0, topP <= 1 else {  // also rejects NaN
            throw Self.invalid("topP", "\(topP)", "must be in (0, 1] (1 = off)")
        }
        guard minP >= 0, minP <= 1 else {
            throw Self.invalid("minP", "\(minP)", "must be in [0, 1] (0 = off)")
        }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw Self.invalid("repetitionPenalty", "\(repetitionPenalty)", "must be a finite number > 0 (1 = off)")
        }
        guard presencePenalty.isFinite else {
            throw Self.invalid("presencePenalty", "\(presencePenalty)", "must be finite (0 = off)")
        }
        guard frequencyPenalty.isFinite else {
            throw Self.invalid("frequencyPenalty", "\(frequencyPenalty)", "must be finite (0 = off)")
        }
        guard penaltyWindow >= 0 else {
            throw Self.invalid("penaltyWindow", "\(penaltyWindow)", "must be ≥ 0 (0 = off)")
        }
        return self
    }

    /// Whether any of the three penalties would change a logit.
    var hasPenalties: Bool {
        penaltyWindow > 0 && (repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0)
    }

    private static func invalid(_ name: String, _ value: String, _ reason: String) -> CoreError {
        .invalidArgument(name: "sampler." + name, value: value, reason: reason)
    }
}
