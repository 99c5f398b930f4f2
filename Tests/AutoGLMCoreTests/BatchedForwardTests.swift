import Testing
@testable import AutoGLMCore

/// Issue 4's "batched equals single": sequences of mixed prompt lengths run together —
/// prefill chunks of some next to decode rows of others in the same pass — produce the
/// same greedy tokens and the same logits, bit for bit, as each prompt run alone.
@Suite struct BatchedForwardTests {
    static let prompts: [[Int32]] = [
        [5, 9, 13],
        (0..<21).map { Int32(($0 * 11 + 4) % 250) },
        (0..<40).map { Int32(($0 * 7 + 3) % 300) },
        [42, 7, 7, 19, 88, 3, 1, 250, 31],
    ]
    static let steps = 10

    static func state(_ file: String, batch: Int, chunk: Int, kvType: KVCacheType = .f32, threads: Int = 1) throws -> InferenceState {
        let model = try Model(path: Fixtures.path("models/\(file).gguf"))
        return try InferenceState(model: model, limits: RuntimeLimits(maxContext: 96, maxBatch: batch, prefillChunk: chunk,
                                                                        threads: threads, kvType: kvType), backend: .emulation)
    }

    /// Greedy tokens and a hash of every step's logits, per sequence.
    struct Trace: Equatable {
        var tokens: [Int32] = []
        var logitsHash: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func take(_ logits: UnsafePointer<Float>, vocab: Int) -> Int32 {
            var best = 0
            for i in 0..<vocab {
                var bits = logits[i].bitPattern
                for _ in 0..<4 {
                    logitsHash = (logitsHash ^ UInt64(bits & 0xFF)) &* 0x100_0000_01b3
                    bits >>= 8
                }
                if logits[i] > logits[best] { best = i }
            }
            tokens.append(Int32(best))
            return Int32(best)
        }
    }

    /// Runs all prompts together: each pass takes, for every unfinished sequence, either
    /// its next prefill chunk (as many prompt tokens as rows remain) or one decode row.
    static func runBatched(_ state: InferenceState) -> [Trace] {
        let vocab = state.config.vocabularySize
        let pool = state.kvPool
        var traces = [Trace](repeating: Trace(), count: prompts.count)
        var histories = prompts
        var fed = [Int](repeating: 0, count: prompts.count)
        var slots: [Int] = []
        for _ in prompts { slots.append(pool.acquireSequence()!) }
        while traces.contains(where: { $0.tokens.count < steps }) {
            let batch = state.batch
            batch.removeAll()
            var logitsOwner: [Int] = []
            for i in prompts.indices where traces[i].tokens.count < steps && batch.remainingRows > 0 {
                let n = min(histories[i].count - fed[i], batch.remainingRows)
                #expect(pool.reserve(slots[i], from: fed[i], to: fed[i] + n, now: 0))
                let completes = fed[i] + n == histories[i].count
                histories[i].withUnsafeBufferPointer {
                    batch.append(sequence: slots[i], tokens: UnsafeBufferPointer(rebasing: $0[fed[i]..<(fed[i] + n)]),
                                 startPosition: fed[i], wantsLogits: completes)
                }
                fed[i] += n
                if completes { logitsOwner.append(i) }
            }
            state.forwardBatch()
            for (row, i) in logitsOwner.enumerated() {
                histories[i].append(traces[i].take(state.logits + row * vocab, vocab: vocab))
            }
        }
        return traces
    }

    static func runAlone(_ state: InferenceState, _ prompt: [Int32]) -> Trace {
        let vocab = state.config.vocabularySize
        var trace = Trace()
        prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
        var position = prompt.count
        for step in 0..<steps {
            var next = trace.take(state.logits, vocab: vocab)
            if step + 1 < steps {
                withUnsafePointer(to: &next) { state.forward(tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: position) }
                position += 1
            }
        }
        return trace
    }

    @Test(arguments: ["llama-q8_0", "qwen2-q8_0", "glm-f16", "glm4-q8_0"])
    func batchedEqualsSingle(file: String) throws {
        let single = try Self.state(file, batch: 1, chunk: 64)
        let alone = Self.prompts.map { Self.runAlone(single, $0) }
        // 16 rows per pass: the 40-token prompt is prefilled over three passes while the
        // short ones already decode beside it.
        let batched = Self.runBatched(try Self.state(file, batch: 4, chunk: 16, threads: 2))
        for i in Self.prompts.indices {
            #expect(batched[i].tokens == alone[i].tokens, "\(file) prompt \(i) tokens")
            #expect(batched[i].logitsHash == alone[i].logitsHash, "\(file) prompt \(i) logits bits")
        }
    }

    @Test(arguments: [KVCacheType.f16, .int8])
    func batchedEqualsSingleWithNarrowKV(kvType: KVCacheType) throws {
        let single = try Self.state("llama-q8_0", batch: 1, chunk: 64, kvType: kvType)
        let alone = Self.prompts.map { Self.runAlone(single, $0) }
        let batched = Self.runBatched(try Self.state("llama-q8_0", batch: 4, chunk: 16, kvType: kvType))
        for i in Self.prompts.indices {
            #expect(batched[i] == alone[i], "\(kvType.name) prompt \(i)")
        }
    }
}
