import Testing
@testable import AutoGLMCore

/// Files that parse as GGUF but do not describe a runnable model.
@Suite struct ModelLoadingTests {
    @Test func missingTensorIsNamed() {
        #expect(throws: CoreError.model(.missingTensor(name: "blk.0.attn_q.weight"))) {
            _ = try Model(path: Fixtures.path("bad-gguf/missing-tensor.gguf"))
        }
    }

    @Test func memoryPlanOverBudgetShowsThePlan() throws {
        let model = try Model(path: Fixtures.path("models/llama-f32.gguf"))
        let plan = try MemoryPlan(config: model.config, weightsBytes: model.weightsBytes,
                                  limits: RuntimeLimits(maxContext: 256))
        #expect(plan.arenaBytes > 0)
        #expect(throws: CoreError.self) { try plan.check(budgetBytes: 1024) }
        do {
            try plan.check(budgetBytes: 1024)
        } catch {
            #expect(error.message.contains("KV pages"))
            #expect(error.message.contains("over the budget of 1024 bytes"))
        }
    }

    @Test func absurdLimitsAreRefused() throws {
        let model = try Model(path: Fixtures.path("models/llama-f32.gguf"))
        for limits in [RuntimeLimits(maxContext: 0), RuntimeLimits(maxContext: 64, prefillChunk: 65),
                       RuntimeLimits(maxBatch: 0), RuntimeLimits(threads: 0)] {
            #expect(throws: CoreError.self) {
                _ = try MemoryPlan(config: model.config, weightsBytes: 0, limits: limits)
            }
        }
    }
}
