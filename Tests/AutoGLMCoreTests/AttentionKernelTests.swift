import CAutoGLMKernels
import Testing
@testable import AutoGLMCore

/// The C loops behind attention and perplexity scoring (softmax, Σ e^(l − m), the weighted
/// sum of value rows) against the scalar Swift they replace, bit for bit. They run where
/// the CPU has AVX-512 (the avx512vnni path); elsewhere each test says it was skipped.
@Suite struct AttentionKernelTests {
    /// The only path with these kernels so far.
    static let path = KernelPath.avx512vnni.rawValue

    static func skip(_ kernel: String) {
        print("skipped: \(kernel) needs AVX-512 (F, DQ, VL; the avx512vnni path), which this CPU lacks; the Swift loop runs instead")
    }

    static func scores(count: Int, seed: UInt64) -> [Float] {
        var rng = KernelTests.Random(state: seed)
        var x = (0..<count).map { _ in rng.float(40) }
        // exp's cut-offs relative to the max, and values that underflow to 0.
        if count > 4 { x[1] = -200; x[2] = .infinity * -1; x[3] = x.max()! - 103.99 }
        return x
    }

    @Test func vectorizedSoftmaxEqualsScalarBitForBit() {
        for count in [1, 5, 8, 9, 64, 129, 300] {
            var scalar = Self.scores(count: count, seed: UInt64(count))
            var vector = scalar
            Ops.softmax(&scalar, count: count)
            guard aglm_softmax(Self.path, &vector, Int64(count)) != 0 else { return Self.skip("aglm_softmax") }
            #expect(scalar.map(\.bitPattern) == vector.map(\.bitPattern), "count \(count)")
        }
    }

    @Test func vectorizedSumOfExpsEqualsScalarBitForBit() {
        for count in [1, 7, 8, 6000, 6003] {
            var rng = KernelTests.Random(state: UInt64(count) &* 31)
            var logits = (0..<count).map { _ in rng.float(30) }
            if count > 8 { logits[0] = -.infinity; logits[3] = -900; logits[5] = 700 }
            for shift in [0.0, Double(logits.max()!), 12.5] {
                var scalar = 0.0
                for l in logits { scalar += DeterministicMath.expDouble(Double(l) - shift) }
                var vector = 0.0
                guard aglm_sum_exp_shifted(Self.path, logits, Int64(count), shift, &vector) != 0 else {
                    return Self.skip("aglm_sum_exp_shifted")
                }
                #expect(scalar.bitPattern == vector.bitPattern, "count \(count) shift \(shift): \(scalar) vs \(vector)")
            }
        }
    }

    @Test(arguments: [KVCacheType.f32, .f16])
    func weightedSumOfValueRowsEqualsScalarBitForBit(type: KVCacheType) {
        var rng = KernelTests.Random(state: 7)
        for (width, count) in [(64, 16), (64, 1), (72, 5), (200, 13), (5, 3), (128, 16)] {
            let rowBytes = (width + 3) * type.bytes  // padded rows, as a KV page's head slice sits in a longer row
            var rows = [UInt8](repeating: 0, count: rowBytes * count)
            var values = [Float](repeating: 0, count: width * count)
            for j in 0..<count {
                for i in 0..<width {
                    let v = rng.float(3)
                    if type == .f16 {
                        let h = HalfFloat.fromFloat(v)
                        values[j * width + i] = HalfFloat.toFloat(h)
                        withUnsafeBytes(of: h.littleEndian) { for b in 0..<2 { rows[j * rowBytes + 2 * i + b] = $0[b] } }
                    } else {
                        values[j * width + i] = v
                        withUnsafeBytes(of: v.bitPattern.littleEndian) { for b in 0..<4 { rows[j * rowBytes + 4 * i + b] = $0[b] } }
                    }
                }
            }
            let weights = (0..<count).map { _ in abs(rng.float(1)) }
            var scalar = (0..<width).map { _ in rng.float(0.5) }
            var vector = scalar
            for j in 0..<count {
                for i in 0..<width { scalar[i] += weights[j] * values[j * width + i] }
            }
            let kernelType = type == .f16 ? AGLM_FLOAT_F16 : AGLM_FLOAT_F32
            guard aglm_weighted_row_sum(Self.path, kernelType, rows, Int64(rowBytes), Int64(count), weights, &vector, Int64(width)) != 0 else {
                return Self.skip("aglm_weighted_row_sum")
            }
            #expect(scalar.map(\.bitPattern) == vector.map(\.bitPattern), "\(type.name) width \(width) rows \(count)")
        }
    }

    /// The whole attention (keys as a small matmul, the C softmax and value sum) against
    /// the reference backend's scalar loops, over a prefill long enough to span KV pages,
    /// with f32 and f16 KV: the same logits, bit for bit.
    @Test(arguments: [KVCacheType.f32, .f16])
    func attentionKernelsEqualReferenceBitForBit(kvType: KVCacheType) throws {
        let model = try Model(path: Fixtures.path("models/glm4-f32.gguf"))
        let prompt: [Int32] = (0..<45).map { Int32(($0 * 17 + 2) % model.config.vocabularySize) }
        func logits(_ backend: Backend) throws -> [UInt32] {
            let limits = RuntimeLimits(maxContext: 64, prefillChunk: 45, threads: 2, kvType: kvType, logitsRows: 45)
            let state = try InferenceState(model: model, limits: limits, backend: backend)
            prompt.withUnsafeBufferPointer { state.forwardLogitsOfEveryToken(tokens: $0, startPosition: 0) }
            return (0..<(45 * model.config.vocabularySize)).map { state.logits[$0].bitPattern }
        }
        #expect(try logits(.reference) == logits(.emulation))
    }
}
