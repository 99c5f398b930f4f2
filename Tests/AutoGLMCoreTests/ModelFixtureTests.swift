import Testing
@testable import AutoGLMCore

/// Every family against transformers' outputs on the committed fixtures
/// (tools/make_fixtures.py). The prompt is given as ids so these tests exercise only the
/// forward pass; the tokenizer has its own tests.
@Suite struct ModelFixtureTests {
    static let cases: [(String, String)] = Fixtures.families.flatMap { f in ["f32", "f16", "q8_0"].map { (f, $0) } }

    func run(_ family: String, _ type: String, backend: Backend, steps: Int, kvType: KVCacheType = .f32,
             threads: Int = 1, prefillChunk: Int = 64) throws -> (GreedyRun, Fixtures.ModelReference.Output) {
        let reference = try Fixtures.reference(family)
        let expected = try #require(reference.references[type])
        let model = try Model(path: Fixtures.path("models/\(family)-\(type).gguf"))
        #expect(model.config.architecture == reference.gguf_arch)
        let state = try InferenceState(model: model,
                                       limits: RuntimeLimits(maxContext: 128, prefillChunk: prefillChunk, threads: threads, kvType: kvType),
                                       backend: backend)
        return (GreedyRun(state: state, prompt: reference.prompt_ids, steps: steps), expected)
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    /// F32 files hold transformers' weights exactly; what remains is float summation order
    /// and our own exp/sin/cos, far below 1e-4 on logits of this size.
    @Test(arguments: Fixtures.families)
    func f32MatchesTransformers(family: String) throws {
        for backend in [Backend.reference, .emulation] {
            let (run, expected) = try run(family, "f32", backend: backend, steps: 32)
            #expect(run.tokens == expected.greedy_ids, "\(family) f32 \(backend.name) greedy tokens")
            let diff = Self.maxAbsDifference(run.firstLogits, expected.first_logits)
            #expect(diff <= 1e-4, "\(family) f32 \(backend.name) max |Δlogit| = \(diff)")
        }
    }

    /// The F16 reference is transformers run on the same f16-rounded weights, so the
    /// numbers differ only by summation order, as for F32: the same 1e-4 bound holds.
    @Test(arguments: Fixtures.families)
    func f16MatchesTransformersOnRoundedWeights(family: String) throws {
        let (run, expected) = try run(family, "f16", backend: .emulation, steps: 16)
        #expect(run.tokens == Array(expected.greedy_ids.prefix(16)), "\(family) f16 greedy tokens")
        let diff = Self.maxAbsDifference(run.firstLogits, expected.first_logits)
        #expect(diff <= 1e-4, "\(family) f16 max |Δlogit| = \(diff)")
    }
}

