import CAutoGLMKernels
import Testing
@testable import AutoGLMCore

/// RMSNorm fused with activation quantization: the normed rows go straight into the int8
/// activations. The contract is bit equality with the two separate steps (Ops.rmsNorm,
/// then ActivationQuantization.quantizeRow and blockSums), for the Swift loop that
/// aarch64 and the scalar path run and for the C loop of each x86 path this machine runs
/// (AVX-512, AVX2), and — through the whole forward pass — equality of every logit with
/// the reference backend, which keeps the separate steps.
@Suite struct FusedNormQuantizeTests {
    struct Quantized: Equatable {
        var values: [Int8]
        var scaleBits: [UInt32]
        var sums: [Int32]
    }

    /// `tokens` random rows of `cols` (stride cols + 7, so the stride is honoured), with
    /// magnitudes that vary by block, and a random norm weight.
    static func rows(tokens: Int, cols: Int, seed: UInt64) -> (x: [Float], stride: Int, weight: [Float]) {
        var rng = KernelTests.Random(state: seed)
        let stride = cols + 7
        var x = [Float](repeating: .nan, count: tokens * stride)
        for t in 0..<tokens {
            for i in 0..<cols { x[t * stride + i] = rng.float([3, 1e-3, 40, 0.5][(i / 32 + t) % 4]) }
        }
        return (x, stride, (0..<cols).map { _ in rng.float(2) })
    }

    static func separate(_ x: [Float], stride: Int, weight: [Float], tokens: Int, cols: Int, eps: Float) -> Quantized {
        var normed = [Float](repeating: 0, count: cols)
        var q = Quantized(values: [], scaleBits: [], sums: [])
        for t in 0..<tokens {
            x.withUnsafeBufferPointer { Ops.rmsNorm($0.baseAddress! + t * stride, weight: weight, count: cols, eps: eps, out: &normed) }
            var values = [Int8](repeating: 0, count: cols), scales = [Float](repeating: 0, count: cols / 32)
            var sums = [Int32](repeating: 0, count: cols / 32)
            ActivationQuantization.quantizeRow(normed, count: cols, values: &values, scales: &scales)
            ActivationQuantization.blockSums(values, count: cols, sums: &sums)
            q.values += values; q.scaleBits += scales.map(\.bitPattern); q.sums += sums
        }
        return q
    }

    @Test(arguments: [(32, 1), (96, 3), (224, 2), (2048, 2), (2080, 1)])
    func swiftAndCFusedEqualNormThenQuantize(cols: Int, tokens: Int) throws {
        let eps: Float = 1e-5
        let (x, stride, weight) = Self.rows(tokens: tokens, cols: cols, seed: UInt64(cols * 31 + tokens))
        let expected = Self.separate(x, stride: stride, weight: weight, tokens: tokens, cols: cols, eps: eps)

        var swift = Quantized(values: [Int8](repeating: 0, count: tokens * cols),
                              scaleBits: [], sums: [Int32](repeating: 0, count: tokens * cols / 32))
        var scales = [Float](repeating: 0, count: tokens * cols / 32)
        x.withUnsafeBufferPointer { xp in
            swift.values.withUnsafeMutableBufferPointer { v in
                scales.withUnsafeMutableBufferPointer { s in
                    for t in 0..<tokens {
                        ActivationQuantization.rmsNormQuantizeRow(xp.baseAddress! + t * stride, weight: weight, count: cols, eps: eps,
                                                                  values: v.baseAddress! + t * cols, scales: s.baseAddress! + t * cols / 32)
                    }
                }
            }
        }
        ActivationQuantization.blockSums(swift.values, count: tokens * cols, sums: &swift.sums)
        swift.scaleBits = scales.map(\.bitPattern)
        #expect(swift == expected, "Swift fused loop (aarch64's)")

        for path in KernelPathsUnderTest.vectorized {
            var c = Quantized(values: [Int8](repeating: 0, count: tokens * cols), scaleBits: [],
                              sums: [Int32](repeating: 0, count: tokens * cols / 32))
            var cScales = [Float](repeating: 0, count: tokens * cols / 32)
            let ran = aglm_rmsnorm_quantize_rows(path.rawValue, x, Int64(stride), weight, eps, Int64(tokens), Int64(cols), &c.values,
                                                 &cScales, &c.sums)
            try #require(ran != 0, "\(path.name) has no fused kernel")
            c.scaleBits = cScales.map(\.bitPattern)
            #expect(c == expected, "\(path.name) fused loop")
        }
        #expect(expected.values.contains { $0 != 0 } && expected.sums.contains { $0 != 0 })
    }

    /// Q8_0 and INT8 models, where every pre-norm and the final norm are fused on the
    /// emulation backend: every logit of a greedy run equals the reference backend's (which
    /// norms, stores and quantizes separately), for 1 and 3 threads, on every kernel path.
    @Test(arguments: ["llama-q8_0", "qwen2-q8_0", "glm-q8_0", "glm4-q8_0", "qwen2-int8", "glm4-int8-asym"])
    func fusedForwardPassEqualsReference(fixture: String) throws {
        let model = try Model(path: Fixtures.path("models/\(fixture).gguf"))
        let prompt: [Int32] = (0..<11).map { Int32(($0 * 37 + 5) % model.config.vocabularySize) }
        var hashes: [UInt64] = []
        var runs: [(backend: Backend, path: KernelPath, threads: Int)] = [(.reference, .scalar, 1)]
        for path in KernelPathsUnderTest.all { runs += [(.emulation, path, 1), (.emulation, path, 3)] }
        for run in runs {
            let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 64, prefillChunk: 4, threads: run.threads),
                                           backend: run.backend, kernels: run.path)
            #expect(state.kernels.canFuseNormIntoQuantization(model.layers[0].wq) == (run.backend != .reference))
            hashes.append(GreedyRun(state: state, prompt: prompt, steps: 6).logitsHash)
        }
        for (run, hash) in zip(runs, hashes) {
            #expect(hash == hashes[0], "\(fixture): \(run.backend.name) on \(run.path.name), \(run.threads) threads differs from reference")
        }
    }
}
