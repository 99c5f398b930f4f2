import Testing
@testable import AutoGLMCore

/// Attention tasks run on different threads and each writes its own slice of the scores
/// scratch: the slices are padded to multiples of 128 bytes and start 64-byte aligned, so no
/// two threads write one cache line.
@Suite struct AttentionScratchTests {
    /// glm4's fixture has head_dim 80: with a context of 37, one task's 2 × 37 + 80 = 154
    /// floats (616 bytes) would end mid-line without the padding.
    @Test(arguments: ["glm4-f32", "llama-f32", "qwen2-f32"])
    func perThreadScoresStartOnTheirOwnCacheLines(fixture: String) throws {
        let model = try Model(path: Fixtures.path("models/\(fixture).gguf"))
        let c = model.config
        let limits = RuntimeLimits(maxContext: 37, prefillChunk: 8, threads: 3)
        let group = c.headCount / c.kvHeadCount
        let used = group * limits.maxContext + c.headDim
        let perTask = AttentionTask.scratchFloatsPerTask(groupSize: group, maxContext: limits.maxContext, headDim: c.headDim)
        #expect(perTask * 4 % ThreadPool.flagStride == 0)
        #expect(perTask >= used && perTask < used + ThreadPool.flagStride / 4)
        let plan = try MemoryPlan(config: c, weightsBytes: model.weightsBytes, limits: limits)
        #expect(plan.entry("attention scores").bytes == limits.threads * perTask * 4)
        #expect(plan.entry("attention scores").offset % MemoryPlan.alignment == 0)
    }
}
