import Testing
@testable import AutoGLMCore

/// The Q4_1/Q5_x and K-quant dot products against their own dequantization (which the
/// fixture tests check bit for bit against gguf-py): the same element order, scales and
/// minimums, so Σ w·x over the dequantized weights and the quantized activations, in
/// Double, equals the kernel's result up to its Float roundings.
@Suite struct BlockQuantKernelTests {
    static let types: [TensorType] = [.q4_1, .q5_0, .q5_1, .q2_k, .q3_k, .q4_k, .q5_k, .q6_k]

    @Test(arguments: types)
    func dotEqualsDequantizedProduct(type: TensorType) {
        var rng = KernelTests.Random(state: 0xC0FFEE &+ UInt64(type.rawValue))
        let cols = 1024
        for _ in 0..<4 {
            let weights = KernelTests.randomWeights(type, rows: 1, cols: cols, &rng)
            let x = (0..<cols).map { _ in rng.float(3) }
            var w = [Float](repeating: 0, count: cols)
            weights.withUnsafeBytes { dequantize(type: type, $0.baseAddress!, count: cols, into: &w) }
            var qv = [Int8](repeating: 0, count: cols)
            var qs = [Float](repeating: 0, count: cols / 32)
            let block = type.activationBlockSize
            if type.isKQuant {
                SuperBlockActivationQuantization.quantizeRow(x, count: cols, values: &qv, scales: &qs)
            } else {
                ActivationQuantization.quantizeRow(x, count: cols, values: &qv, scales: &qs)
            }
            var exact = 0.0, magnitude = 0.0
            for e in 0..<cols {
                let xe = Double(qv[e]) * Double(qs[e / block])
                exact += Double(w[e]) * xe
                magnitude += abs(Double(w[e]) * xe)
            }
            let ours = weights.withUnsafeBytes { ReferenceDot.blockQuant(type, $0.baseAddress!, qv, qs, count: cols) }
            #expect(abs(Double(ours) - exact) <= 1e-5 * magnitude, "\(type.name): \(ours) vs \(exact) (Σ|w·x| \(magnitude))")
        }
    }

    /// quantize_row_q8_K_ref's rules: the largest-magnitude element (the first on ties)
    /// becomes −127 with its sign carried by d, ties round to even, an all-zero block has d = 0.
    @Test func superBlockActivationsFollowGGMLsQ8K() {
        var x = [Float](repeating: 0, count: 512)
        x[3] = 127  // s = −127/127 = −1 exactly
        x[4] = 2.5; x[5] = -3.5; x[6] = -127; x[7] = 0.5
        var qv = [Int8](repeating: 9, count: 512)
        var qs = [Float](repeating: 9, count: 2)
        SuperBlockActivationQuantization.quantizeRow(x, count: 512, values: &qv, scales: &qs)
        #expect(qv[3] == -127 && qv[6] == 127)
        #expect(qv[4] == -2 && qv[5] == 4 && qv[7] == 0)
        #expect(qs[0] == -1)
        #expect(qs[1] == 0 && qv[256..<512].allSatisfy { $0 == 0 })
    }

    /// An infinite activation (a damaged model upstream) makes s = −0: every product is
    /// ±0 or NaN, nearest_int's bit trick turns both into 0, and d = 1/−0 = −inf — the
    /// same on every backend, and no trap.
    @Test func nonFiniteActivationsGiveZerosAndInfiniteScale() {
        var x = (0..<256).map { Float($0) / 100 }
        x[10] = .nan; x[20] = .infinity
        var qv = [Int8](repeating: 7, count: 256)
        var qs = [Float](repeating: 0, count: 8)
        SuperBlockActivationQuantization.quantizeRow(x, count: 256, values: &qv, scales: &qs)
        #expect(qv.allSatisfy { $0 == 0 })
        #expect(qs[0] == -.infinity)
    }
}

/// A shared-input matmul whose matrices want different activation blocks (a hand-mixed
/// file: Q8_0 next to Q4_K on the same input) gives each matrix what it gives alone.
@Suite struct MixedActivationFormatTests {
    @Test func sharedInputWithQ8_0AndQ4_KEqualsSeparateCalls() throws {
        var rng = KernelTests.Random(state: 99)
        let cols = 512, rows = 5, tokens = 3
        let q8 = KernelTests.randomWeights(.q8_0, rows: rows, cols: cols, &rng)
        let q4k = KernelTests.randomWeights(.q4_k, rows: rows, cols: cols, &rng)
        let x = (0..<(tokens * cols)).map { _ in rng.float(2) }
        let kernels = LinearKernels(backend: .emulation, pool: try ThreadPool(threads: 2))
        var values = [Int8](repeating: 0, count: tokens * cols)
        var scales = [Float](repeating: 0, count: tokens * cols / 32)
        var sums = [Int32](repeating: 0, count: tokens * cols / 32)
        var shared = ([Float](repeating: .nan, count: tokens * rows), [Float](repeating: .nan, count: tokens * rows))
        var alone = shared
        q8.withUnsafeBytes { a in
            q4k.withUnsafeBytes { b in
                let wa = WeightMatrix(name: "a", type: .q8_0, rows: rows, cols: cols, data: a.baseAddress!)
                let wb = WeightMatrix(name: "b", type: .q4_k, rows: rows, cols: cols, data: b.baseAddress!)
                let scratch = ActivationScratch(values: &values, scales: &scales, sums: &sums, capacity: tokens * cols)
                kernels.matmul(wa, x: x, xStride: cols, tokens: tokens, out: &shared.0, outStride: rows, scratch: scratch,
                               second: MatmulOutput(wb, out: &shared.1, outStride: rows))
                kernels.matmul(wa, x: x, xStride: cols, tokens: tokens, out: &alone.0, outStride: rows, scratch: scratch)
                kernels.matmul(wb, x: x, xStride: cols, tokens: tokens, out: &alone.1, outStride: rows, scratch: scratch)
            }
        }
        #expect(shared.0.map(\.bitPattern) == alone.0.map(\.bitPattern))
        #expect(shared.1.map(\.bitPattern) == alone.1.map(\.bitPattern))
        #expect(!alone.1.contains { $0.isNaN })
    }
}
