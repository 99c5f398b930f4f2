import Testing
@testable import AutoGLMCore

/// Every family against transformers' outputs on the committed fixtures
/// (tools/make_fixtures.py). The prompt is given as ids so these tests exercise only the
/// forward pass; the tokenizer has its own tests.
@Suite struct ModelFixtureTests {

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

    /// F32 files hold transformers' weights exactly and the reference runs in float64, so
    /// what remains is our float32 arithmetic (summation order, our own exp/sin/cos):
    /// the acceptance bound of 1e-4 on logits up to ~30.
    @Test(arguments: Fixtures.families)
    func f32MatchesTransformers(family: String) throws {
        for backend in [Backend.reference, .emulation] {
            let (run, expected) = try run(family, "f32", backend: backend, steps: 32)
            #expect(run.tokens == expected.greedy_ids, "\(family) f32 \(backend.name) greedy tokens")
            let diff = Self.maxAbsDifference(run.firstLogits, expected.first_logits)
            #expect(diff <= 1e-4, "\(family) f32 \(backend.name) max |Δlogit| = \(diff)")
        }
    }

    /// The F16 reference is transformers (float64) on the same f16-rounded weights, so the
    /// numbers differ only by our float32 arithmetic, as for F32: the same 1e-4 bound holds.
    @Test(arguments: Fixtures.families)
    func f16MatchesTransformersOnRoundedWeights(family: String) throws {
        let (run, expected) = try run(family, "f16", backend: .emulation, steps: 32)
        #expect(run.tokens == expected.greedy_ids, "\(family) f16 greedy tokens")
        let diff = Self.maxAbsDifference(run.firstLogits, expected.first_logits)
        #expect(diff <= 1e-4, "\(family) f16 max |Δlogit| = \(diff)")
    }
}


extension ModelFixtureTests {
    /// Q8_0 against two references. `q8_0` is transformers (float64) on the dequantized
    /// weights: our integer kernels also round every matmul input to int8 in blocks of 32,
    /// a relative error of up to 1/254 of each block's largest value, so logits move by a
    /// few tenths here (0.31–0.55 measured on logits up to ~29); greedy tokens must still
    /// agree. `q8_0_actq` is the same run with those activations rounded exactly as our
    /// kernels round them (ActivationQuantization): what remains is float32 against
    /// float64 summation, the same 1e-4 bound as for F32 (measured ≤ 6e-6).
    @Test(arguments: Fixtures.families)
    func q8MatchesTransformersWithQuantizedActivations(family: String) throws {
        let reference = try Fixtures.reference(family)
        let actq = try #require(reference.references["q8_0_actq"])
        for backend in [Backend.reference, .emulation] {
            let (run, expected) = try run(family, "q8_0", backend: backend, steps: 32)
            #expect(run.tokens == expected.greedy_ids, "\(family) q8_0 \(backend.name) greedy tokens vs dequantized weights")
            #expect(run.tokens == actq.greedy_ids, "\(family) q8_0 \(backend.name) greedy tokens vs quantized activations")
            let diffActq = Self.maxAbsDifference(run.firstLogits, actq.first_logits)
            #expect(diffActq <= 1e-4, "\(family) q8_0 \(backend.name) max |Δlogit| vs q8_0_actq = \(diffActq)")
            let diffDequantized = Self.maxAbsDifference(run.firstLogits, expected.first_logits)
            #expect(diffDequantized <= 1.0, "\(family) q8_0 \(backend.name) max |Δlogit| vs dequantized = \(diffDequantized)")
        }
    }

    /// The SentencePiece-vocabulary Llama (tokenizer.ggml.model = "llama").
    @Test func llamaWithSentencePieceVocabularyMatchesTransformers() throws {
        let (run, expected) = try run("llama-spm", "f32", backend: .emulation, steps: 32)
        #expect(run.tokens == expected.greedy_ids)
        #expect(Self.maxAbsDifference(run.firstLogits, expected.first_logits) <= 1e-4)
    }
}
