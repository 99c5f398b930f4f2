import Testing
@testable import AutoGLMCore

@Suite struct GeneratorTests {
    static func state(_ file: String, threads: Int = 1, chunk: Int = 64, backend: Backend = .emulation) throws -> InferenceState {
        let model = try Model(path: Fixtures.path("models/\(file).gguf"))
        return try InferenceState(model: model, limits: RuntimeLimits(maxContext: 128, prefillChunk: chunk, threads: threads),
                                  backend: backend)
    }

    /// Attaches every pool worker to `counter`, so their allocations count too.
    final class AttachWorkers: ThreadPoolTask {
        let counter: AllocationCounter?
        init(_ counter: AllocationCounter?) { self.counter = counter }
        func run(task: Int) {
            if let counter { counter.attachCurrentThread() } else { AllocationCounter.detachCurrentThread() }
        }
    }

    /// docs/ARCHITECTURE.md's static-memory invariant: after warm-up, the forward pass, the sampler
    /// and the decode loop allocate nothing — counted on every pool thread.
    @Test(arguments: ["llama-q8_0", "glm4-f16"])
    func decodeAllocatesNothingPerToken(file: String) throws {
        let state = try Self.state(file, threads: 2)
        let generator = try Generator(state: state, sampling: SamplerConfig(temperature: 0.8, topK: 40, topP: 0.9, seed: 7))
        let prompt: [Int32] = [5, 9, 13, 2, 7]
        _ = try generator.generate(prompt: prompt, maxNewTokens: 4)  // warm-up

        let counter = AllocationCounter()
        let attach = AttachWorkers(counter)
        let detach = AttachWorkers(nil)
        let warmUpTokens = 2
        var seen = 0
        let result = try generator.generate(prompt: prompt, maxNewTokens: 40, onToken: { _ in
            seen += 1
            if seen == warmUpTokens {
                state.kernels.pool.run(state.kernels.pool.threadCount, attach)
            }
            return true
        })
        state.kernels.pool.run(state.kernels.pool.threadCount, detach)
        #expect(result.tokens.count == 40)
        #expect(counter.total == 0, "\(counter.total) allocations over \(40 - warmUpTokens) decode steps")
    }

    /// Each output row is owned by one thread and summed in a fixed order, and chunked
    /// prefill computes every (row, token) the same way: so neither threads nor chunk size
    /// may change a single bit.
    @Test func logitsDoNotDependOnThreadsOrPrefillChunk() throws {
        let prompt: [Int32] = Array(0..<20).map { Int32(($0 * 7 + 3) % 300) }
        let baseline = GreedyRun(state: try Self.state("qwen2-q8_0"), prompt: prompt, steps: 12)
        for (threads, chunk) in [(2, 64), (3, 5), (4, 1), (1, 7)] {
            let run = GreedyRun(state: try Self.state("qwen2-q8_0", threads: threads, chunk: chunk), prompt: prompt, steps: 12)
            #expect(run.tokens == baseline.tokens, "threads \(threads) chunk \(chunk)")
            #expect(run.logitsHash == baseline.logitsHash, "threads \(threads) chunk \(chunk)")
        }
    }

    @Test func greedyGeneratorMatchesArgmaxDecoding() throws {
        let prompt: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6]
        let expected = GreedyRun(state: try Self.state("glm-f32"), prompt: prompt, steps: 10)
        let generator = try Generator(state: try Self.state("glm-f32"), sampling: SamplerConfig())
        let result = try generator.generate(prompt: prompt, maxNewTokens: 10)
        #expect(result.tokens == expected.tokens)
        #expect(result.finishReason == .length)
    }

    @Test func seededSamplingIsReproducible() throws {
        let prompt: [Int32] = [11, 12, 13]
        let config = SamplerConfig(temperature: 1.0, topP: 0.95, seed: 1234)
        let a = try Generator(state: try Self.state("llama-f16"), sampling: config).generate(prompt: prompt, maxNewTokens: 24)
        let b = try Generator(state: try Self.state("llama-f16", threads: 3), sampling: config).generate(prompt: prompt, maxNewTokens: 24)
        #expect(a.tokens == b.tokens)
    }

    @Test func badPromptsAreRefused() throws {
        let generator = try Generator(state: try Self.state("llama-f32"), sampling: SamplerConfig())
        #expect(throws: CoreError.self) { _ = try generator.generate(prompt: [], maxNewTokens: 4) }
        #expect(throws: CoreError.self) { _ = try generator.generate(prompt: [99999], maxNewTokens: 4) }
        #expect(throws: CoreError.self) { _ = try generator.generate(prompt: [-1], maxNewTokens: 4) }
        #expect(throws: CoreError.self) { _ = try generator.generate(prompt: [Int32](repeating: 1, count: 128), maxNewTokens: 4) }
    }

    @Test func stopsWhenTheContextIsFull() throws {
        let generator = try Generator(state: try Self.state("llama-f32"), sampling: SamplerConfig())
        let result = try generator.generate(prompt: [Int32](repeating: 1, count: 120), maxNewTokens: 50)
        #expect(result.finishReason == .contextFull)
        #expect(result.tokens.count == 8)
    }
}
