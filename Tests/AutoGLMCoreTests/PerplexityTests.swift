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

    @Test func tooShortTextIsRefused() throws {
        let model = try Model(path: Fixtures.path("models/glm-f32.gguf"))
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 32, prefillChunk: 8), backend: .emulation)
        #expect(throws: CoreError.self) {
            _ = try Perplexity.evaluate(state: state, tokens: [1, 2, 3], context: 32, bos: nil, tokenByteCount: { _ in 1 })
        }
    }
}
