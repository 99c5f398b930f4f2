import Testing
@testable import AutoGLMCore

/// Samples once from a copy of `logits` (the sampler edits its input in place).
private func sample(_ sampler: Sampler, _ logits: [Float], history: [Int32] = []) -> Int32 {
    var copy = logits
    return copy.withUnsafeMutableBufferPointer { l in
        history.withUnsafeBufferPointer { h in sampler.sample(logits: l.baseAddress!, history: h) }
    }
}

private func makeSampler(_ config: SamplerConfig, vocabularySize: Int) -> Sampler {
    try! Sampler(config: config, vocabularySize: vocabularySize)
}

/// Test data from an independent generator (not SamplerRNG), uniform in [lo, hi).
private struct TestData {
    var x: UInt64
    mutating func float(_ lo: Float, _ hi: Float) -> Float {
        x = x &* 6364136223846793005 &+ 1442695040888963407
        return lo + (hi - lo) * Float(x >> 40) / 16_777_216
    }
    mutating func logits(_ n: Int, _ lo: Float = -5, _ hi: Float = 5) -> [Float] {
        (0..<n).map { _ in float(lo, hi) }
    }
}

/// Reference probabilities in Double, best first (as the sampler ranks them).
private func softmax(_ logits: [Float], temperature: Double = 1) -> [Double] {
    let m = Double(logits.max()!)
    let e = logits.map { ((Double($0) - m) / temperature).expForTest }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

extension Double {
    var expForTest: Double { DeterministicMath.expDouble(self) }
}

/// Ids drawn at least once in `draws` samples.
private func drawnSet(_ sampler: Sampler, _ logits: [Float], draws: Int) -> Set<Int32> {
    var seen = Set<Int32>()
    for _ in 0..<draws { seen.insert(sample(sampler, logits)) }
    return seen
}

@Suite struct SamplerTests {
    @Test func greedyIsArgmaxWithLowestIdOnTies() {
        let greedy = makeSampler(SamplerConfig(), vocabularySize: 5)
        #expect(sample(greedy, [1, 3, 3, 2, -1]) == 1)
        #expect(sample(greedy, [7, 7, 7, 7, 7]) == 0)
        #expect(sample(greedy, [-1, -2, -3, -4, 0]) == 4)
        #expect(sample(greedy, [.nan, 0, .nan, -1, 0]) == 1)  // NaN never wins
        #expect(sample(greedy, [-.infinity, -.infinity, -.infinity, -.infinity, -.infinity]) == 0)
        let before = greedy.rng
        _ = sample(greedy, [0, 1, 2, 3, 4])
        #expect(greedy.rng == before)  // greedy does not consume randomness
    }

    @Test func topKOneEqualsGreedyAtAnyTemperature() {
        var data = TestData(x: 1)
        let greedy = makeSampler(SamplerConfig(), vocabularySize: 300)
        for temperature: Float in [0.05, 0.7, 1, 2.5, 50] {
            let topOne = makeSampler(SamplerConfig(temperature: temperature, topK: 1, seed: 3), vocabularySize: 300)
            for round in 0..<20 {
                var logits = data.logits(300)
                if round % 2 == 0 { logits[250] = logits.max()!; logits[17] = logits[250] }  // a tie: 17 must win
                #expect(sample(topOne, logits) == sample(greedy, logits))
            }
        }
    }

    @Test func drawsFollowTheSoftmax() {
        // Pearson's chi-square over 5 outcomes (4 degrees of freedom); 18.47 is the
        // 0.1% critical value. Fixed seeds, so the test is deterministic.
        let logits: [Float] = [1.0, 0.5, 0, -0.5, -2]
        for temperature: Float in [1, 2] {
            let sampler = makeSampler(SamplerConfig(temperature: temperature, seed: 12345), vocabularySize: 5)
            let draws = 50_000
            var counts = [Int](repeating: 0, count: 5)
            for _ in 0..<draws { counts[Int(sample(sampler, logits))] += 1 }
            let p = softmax(logits, temperature: Double(temperature))
            var chiSquare = 0.0
            for i in 0..<5 {
                let expected = Double(draws) * p[i]
                chiSquare += (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
            }
            #expect(chiSquare < 18.47, "temperature \(temperature): counts \(counts), expected \(p)")
        }
    }

    /// Ids the nucleus should keep, by an independent sort in Double, and a topP
    /// halfway between two cumulative masses so rounding cannot move the boundary.
    /// With `topK`, top-p sees the distribution renormalized over the k best, as in llama.cpp.
    private func nucleus(_ logits: [Float], keeping n: Int, topK: Int = 0) -> (topP: Float, kept: Set<Int32>) {
        var order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if topK > 0 { order = Array(order.prefix(topK)) }
        let p = softmax(order.map { logits[$0] })  // p[j] belongs to order[j]
        var cumulative = [Double]()
        var mass = 0.0
        for j in order.indices { mass += p[j]; cumulative.append(mass) }
        let topP = Float((cumulative[n - 2] + cumulative[n - 1]) / 2)  // n ≥ 2
        return (topP, Set(order.prefix(n).map { Int32($0) }))
    }

    @Test func topPKeepsExactlyTheSmallestPrefixReachingP() {
        var data = TestData(x: 7)
        let logits = data.logits(40, -2, 2)
        for n in [2, 5, 13] {
            let (topP, kept) = nucleus(logits, keeping: n)
            // A very high temperature makes every survivor about equally likely, so
            // a few thousand draws see them all — and nothing else.
            let sampler = makeSampler(SamplerConfig(temperature: 1000, topP: topP, seed: UInt64(n)), vocabularySize: 40)
            #expect(drawnSet(sampler, logits, draws: 3000) == kept, "n = \(n), topP = \(topP)")
            // The same through the ranked (top-k) path.
            let (topPAfterTopK, keptAfterTopK) = nucleus(logits, keeping: n, topK: 30)
            let withTopK = makeSampler(SamplerConfig(temperature: 1000, topK: 30, topP: topPAfterTopK, seed: 9),
                                       vocabularySize: 40)
            #expect(drawnSet(withTopK, logits, draws: 3000) == keptAfterTopK, "top-k path, n = \(n)")
        }
        let one = makeSampler(SamplerConfig(temperature: 1000, topP: 1e-6, seed: 1), vocabularySize: 40)
        let best = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
        #expect(drawnSet(one, logits, draws: 200) == [best])  // at least one always survives
    }

    @Test func minPDropsExactlyTheTokensBelowTheThreshold() {
        // p / pmax by id: 0 → e^-3 = .050, 1 → 1, 2 → e^-1.5 = .223, 3 → e^-0.5 = .607,
        // 4 → e^-1 = .368, 5 → e^-2.5 = .082.
        let logits: [Float] = [-1, 2, 0.5, 1.5, 1, -0.5]
        let ratioCases: [(minP: Float, kept: Set<Int32>)] = [
            (0.9, [1]), (0.5, [1, 3]), (0.3, [1, 3, 4]), (0.1, [1, 3, 4, 2]), (0.06, [1, 3, 4, 2, 5]),
            (0.04, [0, 1, 2, 3, 4, 5]),
        ]
        for (minP, kept) in ratioCases {
            let sampler = makeSampler(SamplerConfig(temperature: 1000, minP: minP, seed: 5), vocabularySize: 6)
            #expect(drawnSet(sampler, logits, draws: 2000) == kept, "minP \(minP)")
        }
    }

    @Test func topKKeepsTheKBest() {
        let logits: [Float] = [0.1, 0.9, 0.3, 0.9, 0.5, -1, 0.8]
        let sampler = makeSampler(SamplerConfig(temperature: 1000, topK: 3, seed: 2), vocabularySize: 7)
        #expect(drawnSet(sampler, logits, draws: 2000) == [1, 3, 6])
        let tie = makeSampler(SamplerConfig(temperature: 1000, topK: 1, seed: 2), vocabularySize: 7)
        #expect(drawnSet(tie, logits, draws: 100) == [1])
    }

    @Test func repetitionPenaltyChangesTheArgmaxWhereItShould() {
        let penalized = makeSampler(SamplerConfig(repetitionPenalty: 1.2), vocabularySize: 3)
        #expect(sample(penalized, [2.0, 1.9, 0.5]) == 0)
        #expect(sample(penalized, [2.0, 1.9, 0.5], history: [0]) == 1)  // 2.0 / 1.2 < 1.9
        #expect(sample(penalized, [2.0, 1.5, 0.5], history: [0]) == 0)  // 1.67 still wins
        // Negative logits are multiplied, i.e. pushed further down.
        #expect(sample(penalized, [-1.0, -1.1, -5], history: [0]) == 1)
        // Only the last `penaltyWindow` tokens count; ids outside the vocabulary are ignored.
        let windowed = makeSampler(SamplerConfig(repetitionPenalty: 1.2, penaltyWindow: 3), vocabularySize: 3)
        #expect(sample(windowed, [2.0, 1.9, 0.5], history: [0, 2, 2, 2]) == 0)
        #expect(sample(windowed, [2.0, 1.9, 0.5], history: [2, 0, -4, 99]) == 1)
    }

    @Test func presenceAndFrequencyPenaltiesSubtract() {
        let frequency = makeSampler(SamplerConfig(frequencyPenalty: 0.1), vocabularySize: 2)
        #expect(sample(frequency, [1.0, 0.8], history: [0, 0, 0]) == 1)  // 1 − 0.3 < 0.8
        #expect(sample(frequency, [1.0, 0.8], history: [0]) == 0)  // 1 − 0.1 > 0.8
        let presence = makeSampler(SamplerConfig(presencePenalty: 0.25), vocabularySize: 2)
        #expect(sample(presence, [1.0, 0.8], history: [0]) == 1)
        #expect(sample(presence, [1.0, 0.7], history: [0, 0, 0, 0]) == 0)  // once, not per occurrence
        // Penalties also feed the sampled path: the penalized token is never drawn at top-k 1.
        let sampled = makeSampler(SamplerConfig(temperature: 1, topK: 1, presencePenalty: 5), vocabularySize: 2)
        #expect(sample(sampled, [1.0, 0.8], history: [0]) == 1)
    }

    @Test func penaltyCountsDoNotLeakIntoTheNextCall() {
        let sampler = makeSampler(SamplerConfig(frequencyPenalty: 0.1), vocabularySize: 2)
        #expect(sample(sampler, [1.0, 0.85], history: [0, 0]) == 1)  // 0.8 < 0.85
        #expect(sample(sampler, [1.0, 0.85], history: [0]) == 0)  // 0.9: counts started again
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() {
        var data = TestData(x: 3)
        let logits = data.logits(64, -1, 1)
        func run(seed: UInt64) -> [Int32] {
            let sampler = makeSampler(SamplerConfig(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.02,
                                                    repetitionPenalty: 1.1, seed: seed), vocabularySize: 64)
            var history = [Int32]()
            for _ in 0..<200 { history.append(sample(sampler, logits, history: history)) }
            return history
        }
        #expect(run(seed: 1) == run(seed: 1))
        #expect(run(seed: 1) != run(seed: 2))
    }

    @Test func restoringTheRNGReplaysTheTokens() {
        var data = TestData(x: 11)
        let logits = data.logits(100)
        let sampler = makeSampler(SamplerConfig(temperature: 1, seed: 77), vocabularySize: 100)
        for _ in 0..<5 { _ = sample(sampler, logits) }
        let checkpoint = sampler.rng
        let first = (0..<20).map { _ in sample(sampler, logits) }
        sampler.rng = checkpoint
        #expect((0..<20).map { _ in sample(sampler, logits) } == first)
    }

    @Test func invalidConfigsThrowTypedErrorsNamingTheField() {
        func rejectedField(_ config: SamplerConfig, vocabularySize: Int = 10) -> String? {
            do {
                _ = try Sampler(config: config, vocabularySize: vocabularySize)
                return nil
            } catch {
                guard case .invalidArgument(let name, _, _) = error else { return "wrong case" }
                return name
            }
        }
        #expect(rejectedField(SamplerConfig(temperature: -0.1)) == "sampler.temperature")
        #expect(rejectedField(SamplerConfig(temperature: .nan)) == "sampler.temperature")
        #expect(rejectedField(SamplerConfig(temperature: .infinity)) == "sampler.temperature")
        #expect(rejectedField(SamplerConfig(topK: -1)) == "sampler.topK")
        #expect(rejectedField(SamplerConfig(topP: 0)) == "sampler.topP")
        #expect(rejectedField(SamplerConfig(topP: 1.5)) == "sampler.topP")
        #expect(rejectedField(SamplerConfig(topP: .nan)) == "sampler.topP")
        #expect(rejectedField(SamplerConfig(minP: -0.1)) == "sampler.minP")
        #expect(rejectedField(SamplerConfig(minP: 2)) == "sampler.minP")
        #expect(rejectedField(SamplerConfig(repetitionPenalty: 0)) == "sampler.repetitionPenalty")
        #expect(rejectedField(SamplerConfig(presencePenalty: .infinity)) == "sampler.presencePenalty")
        #expect(rejectedField(SamplerConfig(frequencyPenalty: .nan)) == "sampler.frequencyPenalty")
        #expect(rejectedField(SamplerConfig(penaltyWindow: -1)) == "sampler.penaltyWindow")
        #expect(rejectedField(SamplerConfig(), vocabularySize: 0) == "vocabularySize")
        #expect(rejectedField(SamplerConfig(temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05)) == nil)
        do {
            try SamplerConfig(topP: 1.5).validated()
            Issue.record("expected a throw")
        } catch {
            #expect(error.message == "invalid sampler.topP '1.5': must be in (0, 1] (1 = off)")
        }
    }

    @Test func reconfigureSwitchesConfigAndReseeds() throws {
        let sampler = makeSampler(SamplerConfig(temperature: 1, seed: 5), vocabularySize: 4)
        _ = sample(sampler, [0, 1, 2, 3])
        try sampler.reconfigure(SamplerConfig(temperature: 1, seed: 6))
        #expect(sampler.rng == SamplerRNG(seed: 6))
        #expect(throws: CoreError.self) { try sampler.reconfigure(SamplerConfig(topK: -3)) }
        #expect(sampler.config.seed == 6)  // a rejected config changes nothing
    }

    @Test func samplingAllocatesNothingAfterWarmUp() {
        var data = TestData(x: 5)
        let vocabularySize = 4096
        let logits = data.logits(vocabularySize)
        var scratch = logits
        let history: [Int32] = (0..<200).map { Int32($0 * 37 % vocabularySize) }
        let configs = [
            SamplerConfig(),  // greedy
            SamplerConfig(repetitionPenalty: 1.3, presencePenalty: 0.2, frequencyPenalty: 0.1),
            SamplerConfig(temperature: 0.8, topK: 50, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1,
                          presencePenalty: 0.1, frequencyPenalty: 0.1, seed: 1),  // full chain, ranked path
            SamplerConfig(temperature: 1.2, topP: 0.95, minP: 0.01, seed: 2),  // heap nucleus path
            SamplerConfig(temperature: 1, seed: 3),  // plain draw over the whole vocabulary
        ]
        for config in configs {
            let sampler = makeSampler(config, vocabularySize: vocabularySize)
            scratch.withUnsafeMutableBufferPointer { l in
                history.withUnsafeBufferPointer { h in
                    _ = sampler.sample(logits: l.baseAddress!, history: h)  // warm-up
                    let allocations = AllocationCounter.count {
                        for _ in 0..<20 {
                            l.baseAddress!.update(from: logits, count: vocabularySize)
                            _ = sampler.sample(logits: l.baseAddress!, history: h)
                        }
                    }
                    #expect(allocations == 0, "config \(config)")
                }
            }
        }
    }
}
