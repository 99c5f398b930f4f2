import Foundation
import Testing
@testable import AutoGLM

@Suite struct PruningTests {
    static func model(_ name: String) throws -> Model { try Model(path: FixturePaths.path("models/\(name).gguf")) }

    static func importance(_ model: Model) throws -> PruningImportance {
        let importance = PruningImportance(config: model.config)
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 32, prefillChunk: 8), backend: .emulation)
        let tokens = (0..<64).map { Int32(($0 * 29 + 5) % model.config.vocabularySize) }
        importance.run(state: state, windows: TextWindows(tokens: tokens, context: 32, bos: nil), maxWindows: nil) { _, _ in }
        return importance
    }

    static func logits(_ model: Model, prompt: [Int32]) throws -> [Float] {
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 32, prefillChunk: 8), backend: .emulation)
        prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
        return Array(UnsafeBufferPointer(start: state.logits, count: model.config.vocabularySize))
    }

    static func prune(_ model: Model, ffnKeep: Double, headsKeep: Double) throws -> (Model, PruningPlan, String) {
        let plan = PruningPlan(importance: try importance(model), model: model, ffnKeep: ffnKeep, headsKeep: headsKeep, ffnMultiple: 32)
        let out = FixturePaths.temporary("pruned.gguf")
        try StructuredPruning.write(model: model, plan: plan, outputPath: out)
        return (try Model(path: out), plan, out)
    }

    @Test(arguments: ["glm4-f32", "llama-q8_0", "glm-f16"])
    func keepingEverythingReproducesTheLogits(file: String) throws {
        let original = try Self.model(file)
        let (pruned, plan, out) = try Self.prune(original, ffnKeep: 1, headsKeep: 1)
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(plan.ffnLength == original.config.feedForwardLength && plan.headCount == original.config.headCount)
        #expect(pruned.config.headDim == original.config.headDim)
        let prompt: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        #expect(try Self.logits(pruned, prompt: prompt) == (try Self.logits(original, prompt: prompt)))
    }

    /// GLM-4 fixture: ffn 200, 2 query heads sharing 1 KV head (head_dim 80).
    @Test func prunedGLM4LoadsGeneratesAndHasTheReducedShapes() throws {
        let original = try Self.model("glm4-f32")
        let (pruned, plan, out) = try Self.prune(original, ffnKeep: 0.5, headsKeep: 0.5)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let c = pruned.config
        #expect(c.feedForwardLength == 96)  // 100 rounded to the nearest multiple of 32
        #expect(c.headCount == 1 && c.kvHeadCount == 1 && c.headDim == 80)
        let g = pruned.gguf
        #expect(g.tensor(named: "blk.0.ffn_up.weight")?.shape == [64, 192])
        #expect(g.tensor(named: "blk.0.ffn_down.weight")?.shape == [96, 64])
        #expect(g.tensor(named: "blk.1.attn_q.weight")?.shape == [64, 80])
        #expect(g.tensor(named: "blk.1.attn_q.bias")?.shape == [80])
        #expect(g.tensor(named: "blk.1.attn_output.weight")?.shape == [80, 64])
        #expect(g.tensor(named: "blk.1.attn_k.weight")?.shape == [64, 80])

        // The fused [gate; up] rows: pruned row k is original gate row j_k, row 96 + k is up row 200 + j_k.
        let up0 = original.layers[0].wUp, upP = pruned.layers[0].wUp
        var a = [Float](repeating: 0, count: 64), b = a
        for (k, j) in plan.ffnKept[0].enumerated() {
            upP.dequantizeRow(k, into: &a); up0.dequantizeRow(j, into: &b); #expect(a == b)
            upP.dequantizeRow(96 + k, into: &a); up0.dequantizeRow(200 + j, into: &b); #expect(a == b)
        }
        // Down keeps the same channels as columns; the output projection the kept head's columns.
        var downRow = [Float](repeating: 0, count: 96), downOriginal = [Float](repeating: 0, count: 200)
        pruned.layers[1].wDown.dequantizeRow(7, into: &downRow)
        original.layers[1].wDown.dequantizeRow(7, into: &downOriginal)
        #expect(downRow == plan.ffnKept[1].map { downOriginal[$0] })
        var woRow = [Float](repeating: 0, count: 80), woOriginal = [Float](repeating: 0, count: 160)
        pruned.layers[0].wo.dequantizeRow(3, into: &woRow)
        original.layers[0].wo.dequantizeRow(3, into: &woOriginal)
        let h = plan.headsKept[0][0]
        #expect(woRow == Array(woOriginal[(h * 80)..<((h + 1) * 80)]))

        let state = try InferenceState(model: pruned, limits: RuntimeLimits(maxContext: 64), backend: .emulation)
        let result = try Generator(state: state, sampling: SamplerConfig()).generate(prompt: [411, 20, 30, 40], maxNewTokens: 12)
        #expect(result.tokens.count == 12)
    }

    /// Llama fixture: separate gate and up, GQA; kept heads stay inside their KV groups.
    @Test func prunedLlamaKeepsGroupsEqual() throws {
        let original = try Self.model("llama-f32")
        let c0 = original.config
        let (pruned, plan, out) = try Self.prune(original, ffnKeep: 0.75, headsKeep: 0.5)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let group = c0.headCount / c0.kvHeadCount
        let perGroup = PruningPlan.headsPerGroup(heads: c0.headCount, kvHeads: c0.kvHeadCount, keep: 0.5)
        #expect(pruned.config.headCount == c0.kvHeadCount * perGroup)
        for heads in plan.headsKept {
            for g in 0..<c0.kvHeadCount {
                #expect(heads.filter { $0 / group == g }.count == perGroup)
            }
        }
        #expect(pruned.gguf.tensor(named: "blk.0.ffn_gate.weight")?.shape == [c0.embeddingLength, plan.ffnLength])
        #expect(pruned.gguf.tensor(named: "blk.0.ffn_up.weight")?.shape == [c0.embeddingLength, plan.ffnLength])
        let state = try InferenceState(model: pruned, limits: RuntimeLimits(maxContext: 64), backend: .emulation)
        #expect(try Generator(state: state, sampling: SamplerConfig()).generate(prompt: [1, 2, 3], maxNewTokens: 5).tokens.count == 5)
    }

    @Test func keepCountsRoundAsDocumented() {
        #expect(PruningPlan.ffnCount(ffn: 704, keep: 0.75, multiple: 32) == 544)  // 528 = 16.5 × 32 → 17 × 32
        #expect(PruningPlan.ffnCount(ffn: 704, keep: 1, multiple: 32) == 704)
        #expect(PruningPlan.ffnCount(ffn: 704, keep: 0.01, multiple: 32) == 32)
        #expect(PruningPlan.ffnCount(ffn: 200, keep: 0.99, multiple: 32) == 192)
        #expect(PruningPlan.headsPerGroup(heads: 4, kvHeads: 2, keep: 0.875) == 2)  // 1.75 → 2: nothing removed
        #expect(PruningPlan.headsPerGroup(heads: 4, kvHeads: 2, keep: 0.5) == 1)
        #expect(PruningPlan.headsPerGroup(heads: 32, kvHeads: 8, keep: 0.875) == 4)  // 3.5 → 4
        #expect(PruningPlan.headsPerGroup(heads: 32, kvHeads: 8, keep: 0.8) == 3)
        #expect(PruningPlan.headsPerGroup(heads: 8, kvHeads: 8, keep: 0.1) == 1)    // MHA: every head is its own group
    }

    @Test func lowestScoresAreRemoved() {
        #expect(PruningPlan.top(2, of: [0.5, 3, 1, 2], all: 4) == [1, 3])
        #expect(PruningPlan.top(2, of: [1, 1, 1, 0], all: 4) == [0, 1])
        #expect(PruningPlan.top(4, of: [1, 2, 3, 4], all: 4) == [0, 1, 2, 3])
    }
}
