import Foundation
import Testing
@testable import AutoGLMCore

@Suite struct PerplexityTests {
    /// The windowed definition, recomputed naively: every position of each window gets
    /// its own full forward pass from an empty cache, and the softmax is done here.
    @Test func matchesANaiveRecomputation() throws {
        let model = try Model(path: Fixtures.path("models/glm-f32.gguf"))
        let tokens: [Int32] = (0..<40).map { Int32(($0 * 13 + 5) % model.config.vocabularySize) }
        let context = 16
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: context, prefillChunk: 3), backend: .emulation)
        let result = try Perplexity.evaluate(state: state, tokens: tokens, context: context, bos: 7, tokenByteCount: { _ in 2 })
        #expect(result.windows == 2)
        #expect(result.scoredTokens == 2 * (context - 1 - context / 2))
        #expect(result.scoredBytes == 2 * result.scoredTokens)

        var nll = 0.0
        for w in 0..<2 {
            var window = Array(tokens[(w * context)..<((w + 1) * context)])
            window[0] = 7
            for p in (context / 2)...(context - 2) {
                let fresh = try InferenceState(model: model, limits: RuntimeLimits(maxContext: context, prefillChunk: context), backend: .emulation)
                Array(window[0...p]).withUnsafeBufferPointer { fresh.forward(tokens: $0, startPosition: 0) }
                let logits = (0..<model.config.vocabularySize).map { Double(fresh.logits[$0]) }
                let m = logits.max()!
                let logSum = Foundation.log(logits.map { Foundation.exp($0 - m) }.reduce(0, +)) + m
                nll += logSum - logits[Int(window[p + 1])]
            }
        }
        let expected = Foundation.exp(nll / Double(result.scoredTokens))
        #expect(abs(result.perplexity - expected) / expected < 1e-9, "\(result.perplexity) vs \(expected)")
        #expect(abs(result.bitsPerByte - nll / Foundation.log(2) / Double(result.scoredBytes)) < 1e-9)
    }

    /// The scored half of each window runs as batched passes with a logits row per token
    /// (forwardLogitsOfEveryToken), not as one decode step per position: the same bits as
    /// scoring one token at a time, for float and quantized weights and any pass size.
    @Test(arguments: ["glm4-f32", "glm4-f16", "glm4-q8_0", "llama-q8_0"])
    func batchedScoringEqualsOneTokenAtATime(fixture: String) throws {
        let model = try Model(path: Fixtures.path("models/\(fixture).gguf"))
        let vocab = model.config.vocabularySize
        let tokens: [Int32] = (0..<70).map { Int32(($0 * 29 + 3) % vocab) }
        let context = 20
        func run(chunk: Int) throws -> (PerplexityResult, [[Float]]) {
            let limits = RuntimeLimits(maxContext: context, prefillChunk: chunk, threads: 2, logitsRows: chunk)
            let state = try InferenceState(model: model, limits: limits, backend: .emulation)
            var scored: [[Float]] = []
            let result = try Perplexity.evaluate(state: state, tokens: tokens, context: context, bos: 1,
                                                 tokenByteCount: { _ in 1 },
                                                 onScored: { logits, _ in scored.append(Array(UnsafeBufferPointer(start: logits, count: vocab))) })
            return (result, scored)
        }
        let (single, singleLogits) = try run(chunk: 1)
        #expect(single.scoredTokens == 3 * (context - 1 - context / 2))
        for chunk in [4, 7, context] {
            let (batched, batchedLogits) = try run(chunk: chunk)
            #expect(batched.scoredTokens == single.scoredTokens)
            #expect(batched.totalNegativeLogLikelihood.bitPattern == single.totalNegativeLogLikelihood.bitPattern,
                    "chunk \(chunk): \(batched.totalNegativeLogLikelihood) vs \(single.totalNegativeLogLikelihood)")
            #expect(batchedLogits.count == singleLogits.count)
            for (a, b) in zip(batchedLogits, singleLogits) {
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
            }
        }
    }

    /// Perplexity's output projection runs over many scored rows per pass (prefill
    /// speed), and only over scored rows: the unscored first half computes no logits.
    @Test func scoredRowsShareOutputProjectionPasses() throws {
        final class OutputRows: ActivationObserver {
            var passes: [Int] = []
            func observe(site: ActivationSite, layer: Int, values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int) {
                if site == .outputInput { passes.append(tokens) }
            }
        }
        let model = try Model(path: Fixtures.path("models/glm4-f32.gguf"))
        let tokens: [Int32] = (0..<64).map { Int32(($0 * 7 + 1) % model.config.vocabularySize) }
        let context = 32
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: context, prefillChunk: 8, logitsRows: 8),
                                       backend: .emulation)
        let observer = OutputRows()
        state.activationObserver = observer
        let result = try Perplexity.evaluate(state: state, tokens: tokens, context: context, bos: nil, tokenByteCount: { _ in 1 })
        // 15 scored positions per window in passes of 8 and 7 rows.
        #expect(observer.passes == [8, 7, 8, 7])
        #expect(observer.passes.reduce(0, +) == result.scoredTokens)
    }

    @Test func tooShortTextIsRefused() throws {
        let model = try Model(path: Fixtures.path("models/glm-f32.gguf"))
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 32, prefillChunk: 8), backend: .emulation)
        #expect(throws: CoreError.self) {
            _ = try Perplexity.evaluate(state: state, tokens: [1, 2, 3], context: 32, bos: nil, tokenByteCount: { _ in 1 })
        }
    }
}
