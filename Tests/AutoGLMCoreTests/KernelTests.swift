import CAutoGLMKernels
import CAutoGLMSys
import Testing
@testable import AutoGLMCore

/// Every kernel against the scalar reference on random shapes, odd sizes included.
/// The vector kernels promise the reference's exact arithmetic, so the check is bit equality.
@Suite struct KernelTests {
    /// Deterministic xorshift so failures reproduce.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func float(_ scale: Float = 1) -> Float {
            (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// Random row-major weights of `type`, rows × cols, as raw bytes.
    static func randomWeights(_ type: TensorType, rows: Int, cols: Int, _ rng: inout Random) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<rows {
            switch type {
            case .f32:
                for _ in 0..<cols { withUnsafeBytes(of: rng.float().bitPattern.littleEndian) { bytes += $0 } }
            case .int8:
                for _ in 0..<cols { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            case .f16:
                for _ in 0..<cols { withUnsafeBytes(of: HalfFloat.fromFloat(rng.float()).littleEndian) { bytes += $0 } }
            case .bf16:
                for _ in 0..<cols { withUnsafeBytes(of: UInt16(rng.float().bitPattern >> 16).littleEndian) { bytes += $0 } }
            case .q8_0:
                for _ in 0..<(cols / 32) {
                    withUnsafeBytes(of: HalfFloat.fromFloat(abs(rng.float(0.05)) + 0.001).littleEndian) { bytes += $0 }
                    for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                }
            case .q4_0:
                for _ in 0..<(cols / 32) {
                    withUnsafeBytes(of: HalfFloat.fromFloat(abs(rng.float(0.05)) + 0.001).littleEndian) { bytes += $0 }
                    for _ in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                }
            default:
                for _ in 0..<(cols / type.blockSize) { bytes += randomBlock(type, &rng) }
            }
        }
        return bytes
    }

    /// One block of a Q4_1/Q5_x/K-quant type: random bits everywhere, then small finite
    /// f16 values in its scale (and minimum) fields, so every bit pattern of the packed
    /// integers and sub-block scales is exercised without NaN scales.
    static func randomBlock(_ type: TensorType, _ rng: inout Random) -> [UInt8] {
        var block = (0..<type.bytesPerBlock).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let halfOffsets: [Int]
        switch type {
        case .q4_1, .q5_1, .q4_k, .q5_k: halfOffsets = [0, 2]
        case .q5_0: halfOffsets = [0]
        case .q2_k: halfOffsets = [80, 82]
        case .q3_k: halfOffsets = [108]
        case .q6_k: halfOffsets = [208]
        default: preconditionFailure("randomBlock: \(type.name) is not a block type with f16 fields")
        }
        for offset in halfOffsets {
            let h = HalfFloat.fromFloat(rng.float(0.05))
            block[offset] = UInt8(h & 0xFF)
            block[offset + 1] = UInt8(h >> 8)
        }
        return block
    }

    /// Random weights (INT8: with positive row scales, and random zero points when
    /// `asymmetric`), random activations; out = W·x with `backend` and kernel `path` on
    /// `threads` threads. `repacked`: give the matrix its InterleavedWeights copy, as
    /// Model.packForFastKernels does.
    static func matmul(_ type: TensorType, rows: Int, cols: Int, tokens: Int, backend: Backend, path: KernelPath = .scalar,
                       threads: Int, seed: UInt64, asymmetric: Bool = false, repacked: Bool = false) throws -> [Float] {
        var rng = Random(state: seed)
        let weights = randomWeights(type, rows: rows, cols: cols, &rng)
        let scales = (0..<rows).map { _ in abs(rng.float(0.02)) + 1e-4 }
        let zeroPoints = (0..<rows).map { _ in asymmetric ? Int8(truncatingIfNeeded: rng.next()) : 0 }
        let x = (0..<(tokens * cols)).map { _ in rng.float(3) }
        var out = [Float](repeating: .nan, count: tokens * rows)
        var qValues = [Int8](repeating: 0, count: tokens * cols)
        var qScales = [Float](repeating: 0, count: tokens * cols / 32 + 1)
        var qSums = [Int32](repeating: 0, count: tokens * cols / 32 + 1)
        let kernels = LinearKernels(backend: backend, path: path, pool: try ThreadPool(threads: threads))
        // Copied by hand rather than through withUnsafeBytes: a typed-throws closure around
        // InterleavedWeights.pack crashes the Swift 6.3 compiler.
        let w = UnsafeMutableRawPointer.allocate(byteCount: max(weights.count, 1), alignment: 64)
        defer { w.deallocate() }
        w.copyMemory(from: weights, byteCount: weights.count)
        let s = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        defer { s.deallocate() }
        s.initialize(from: scales, count: rows)
        let z = UnsafeMutablePointer<Int8>.allocate(capacity: rows)
        defer { z.deallocate() }
        z.initialize(from: zeroPoints, count: rows)
        var matrix = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, data: w,
                                  rowScales: type == .int8 ? UnsafePointer(s) : nil,
                                  zeroPoints: type == .int8 && asymmetric ? UnsafePointer(z) : nil)
        let packed = repacked ? try InterleavedWeights.pack(matrix) : nil
        defer { if let packed { aglm_free(packed) } }
        matrix.packed = packed.map { UnsafeRawPointer($0) }
        qValues.withUnsafeMutableBufferPointer { qv in
            qScales.withUnsafeMutableBufferPointer { qs in
                qSums.withUnsafeMutableBufferPointer { sums in
                    let scratch = ActivationScratch(values: qv.baseAddress!, scales: qs.baseAddress!, sums: sums.baseAddress!,
                                                    capacity: qv.count)
                    out.withUnsafeMutableBufferPointer { o in
                        kernels.matmul(matrix, x: x, xStride: cols, tokens: tokens, out: o.baseAddress!, outStride: rows, scratch: scratch)
                    }
                }
            }
        }
        return out
    }

    // (13, 96, 13) and (8, 64, 6) fill the float kernel's whole 6-row × 4-token tiles and leave row and token tails.
    static let shapes: [(rows: Int, cols: Int, tokens: Int)] = [(1, 32, 1), (7, 96, 3), (33, 160, 2), (64, 512, 5), (5, 2048, 1),
                                                                (13, 96, 13), (8, 64, 6), (3, 256, 2)]

    /// Every kernel path this machine runs (KernelPathsUnderTest), file layout.
    @Test(arguments: TensorType.allCases)
    func vectorKernelsEqualReferenceBitForBit(type: TensorType) throws {
        // Only the shapes whose rows fill the type's blocks (K-quants: 256, 512, 2048).
        var oddShapes = Self.shapes.filter { $0.cols % type.rowMultiple == 0 }
        // The float kernels carry sums across 256-column spans and 48-token blocks: more than one of each.
        if type.rowMultiple == 1 { oddShapes += [(3, 7, 2), (9, 45, 3), (2, 1, 1), (11, 200, 4), (6, 523, 50)] }
        for (i, s) in oddShapes.enumerated() {
            let seed = UInt64(0x9E37_79B9 + i * 7919)
            let reference = try Self.matmul(type, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .reference, threads: 1, seed: seed)
            for path in KernelPathsUnderTest.all {
                let vector = try Self.matmul(type, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .emulation, path: path,
                                             threads: 1, seed: seed)
                #expect(reference.map(\.bitPattern) == vector.map(\.bitPattern), "\(type.name) \(s) on \(path.name)")
            }
            #expect(!reference.contains { $0.isNaN })
        }
    }

    /// Float kernels against a Double-precision dot: the lane scheme must still be a dot product.
    @Test func floatKernelIsADotProduct() throws {
        var rng = Random(state: 42)
        let cols = 77
        let w = (0..<cols).map { _ in rng.float() }
        let x = (0..<cols).map { _ in rng.float() }
        var exact = 0.0
        for i in 0..<cols { exact += Double(w[i]) * Double(x[i]) }
        let ours = w.withUnsafeBytes { ReferenceDot.floatWeights(.f32, $0.baseAddress!, x, count: cols) }
        #expect(abs(Double(ours) - exact) < 1e-5)
    }

    /// Q8_0 against dequantize-then-multiply: the only gap is activation quantization,
    /// at most half a step (amax/254) per element.
    @Test func q8KernelMatchesDequantizedProductWithinActivationRounding() throws {
        var rng = Random(state: 7)
        let cols = 256
        let weights = Self.randomWeights(.q8_0, rows: 1, cols: cols, &rng)
        let x = (0..<cols).map { _ in rng.float(2) }
        var dequantized = [Float](repeating: 0, count: cols)
        weights.withUnsafeBytes { dequantize(type: .q8_0, $0.baseAddress!, count: cols, into: &dequantized) }
        var exact = 0.0
        var bound = 0.0
        for b in 0..<(cols / 32) {
            let amax = x[(b * 32)..<(b * 32 + 32)].map { abs($0) }.max()!
            for j in (b * 32)..<(b * 32 + 32) {
                exact += Double(dequantized[j]) * Double(x[j])
                bound += abs(Double(dequantized[j])) * Double(amax) / 254
            }
        }
        var qv = [Int8](repeating: 0, count: cols)
        var qs = [Float](repeating: 0, count: cols / 32)
        ActivationQuantization.quantizeRow(x, count: cols, values: &qv, scales: &qs)
        let value = weights.withUnsafeBytes { ReferenceDot.q8_0($0.baseAddress!, qv, qs, count: cols) }
        #expect(abs(Double(value) - exact) <= bound + 1e-4, "|Δ| = \(abs(Double(value) - exact)), bound \(bound)")
    }

    /// The x86 kernels on the repacked layout (AVX-512 VNNI, AVX2: each path this machine
    /// runs): full 16-row groups, tail rows left in the file layout, token counts below, at
    /// and above the kernels' tiles (4 tokens for AVX2, 8 for VNNI).
    @Test(.enabled(if: !KernelPathsUnderTest.repacking.isEmpty,
                   "no kernel path under test (this CPU, AUTOGLM_KERNELS) has repacked kernels"),
          arguments: [(TensorType.q8_0, false), (.int8, false), (.int8, true)])
    func repackedKernelsEqualReferenceBitForBit(type: TensorType, asymmetric: Bool) throws {
        let shapes: [(rows: Int, cols: Int, tokens: Int)] = [(16, 32, 1), (37, 96, 3), (48, 160, 8), (33, 2048, 9), (80, 256, 17),
                                                              (32, 64, 5), (16, 96, 6)]
        for (i, s) in shapes.enumerated() {
            let seed = UInt64(0x51ED_2701 + i * 104_729)
            let reference = try Self.matmul(type, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .reference, threads: 1,
                                            seed: seed, asymmetric: asymmetric)
            for path in KernelPathsUnderTest.repacking {
                for threads in [1, 2, 3] {
                    let fast = try Self.matmul(type, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .emulation, path: path,
                                               threads: threads, seed: seed, asymmetric: asymmetric, repacked: true)
                    #expect(reference.map(\.bitPattern) == fast.map(\.bitPattern), "\(type.name) \(s), \(path.name), \(threads) threads")
                }
            }
            #expect(!reference.contains { $0.isNaN })
        }
    }

    @Test(arguments: [(TensorType.f32, false), (.q8_0, false), (.int8, false), (.int8, true)])
    func resultsDoNotDependOnThreadCount(type: TensorType, asymmetric: Bool) throws {
        let path = try KernelPath.configured()
        let one = try Self.matmul(type, rows: 37, cols: 96, tokens: 3, backend: .emulation, path: path, threads: 1, seed: 5,
                                  asymmetric: asymmetric)
        for threads in [2, 3, 4] {
            let many = try Self.matmul(type, rows: 37, cols: 96, tokens: 3, backend: .emulation, path: path, threads: threads, seed: 5,
                                       asymmetric: asymmetric)
            #expect(one.map(\.bitPattern) == many.map(\.bitPattern), "\(threads) threads")
        }
    }

    /// The vectorized SwiGLU of each path against the scalar loop on values across exp's
    /// whole range, its cut-offs (88.8, −104), both zeros, infinities and NaN, with a ragged tail.
    @Test(.enabled(if: !KernelPathsUnderTest.vectorized.isEmpty,
                   "no kernel path under test (this CPU, AUTOGLM_KERNELS) has C kernels"))
    func vectorizedSwiGLUEqualsScalarBitForBit() throws {
        var rng = Random(state: 99)
        var gate: [Float] = [0, -0, 88.8, -88.8, 104, -104, 88.79, -103.99, 1e-30, -1e-30, .infinity, -.infinity, .nan, 0.5, -0.5]
        for scale: Float in [1, 10, 120] { for _ in 0..<400 { gate.append(rng.float(scale)) } }
        gate.append(contentsOf: [3, -7, 11])  // count not a multiple of 8
        let up = gate.indices.map { _ in rng.float(2) }
        var scalar = [Float](repeating: 0, count: gate.count)
        Ops.swiGLU(gate: gate, up: up, count: gate.count, out: &scalar)
        for path in KernelPathsUnderTest.vectorized {
            var vector = [Float](repeating: .nan, count: gate.count)
            let ran = aglm_swiglu(path.rawValue, gate, up, Int64(gate.count), &vector)
            try #require(ran != 0, "\(path.name) has no SwiGLU kernel")
            for i in gate.indices where scalar[i].bitPattern != vector[i].bitPattern && !(scalar[i].isNaN && vector[i].isNaN) {
                Issue.record("\(path.name), gate \(gate[i]): scalar \(scalar[i]) vector \(vector[i])")
            }
        }
    }

    /// Asymmetric INT8 (random zero points) on the same odd shapes: vector == reference bit for bit.
    @Test func asymmetricInt8VectorEqualsReferenceBitForBit() throws {
        for (i, s) in Self.shapes.enumerated() {
            let seed = UInt64(0x51ED_2701 + i * 104_729)
            let reference = try Self.matmul(.int8, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .reference, threads: 1,
                                            seed: seed, asymmetric: true)
            let vector = try Self.matmul(.int8, rows: s.rows, cols: s.cols, tokens: s.tokens, backend: .emulation, threads: 1,
                                         seed: seed, asymmetric: true)
            #expect(reference.map(\.bitPattern) == vector.map(\.bitPattern), "asymmetric int8 \(s)")
            #expect(!reference.contains { $0.isNaN })
        }
    }

    /// The INT8 spec computed independently in Double from the integers: Σ_b S_b·d_b·s_r.
    /// Float rounding of the in-order accumulation is the only difference, so a relative
    /// 1e-5 of Σ|S_b·d_b|·s_r bounds it (a few ulps per block for ≤ 64 blocks).
    @Test func int8KernelIsTheDocumentedSum() throws {
        var rng = Random(state: 99)
        let cols = 320
        let w = (0..<cols).map { _ in Int8(truncatingIfNeeded: rng.next()) }
        let x = (0..<cols).map { _ in rng.float(2) }
        var qv = [Int8](repeating: 0, count: cols)
        var qs = [Float](repeating: 0, count: cols / 32)
        ActivationQuantization.quantizeRow(x, count: cols, values: &qv, scales: &qs)
        for zero: Int32 in [0, -128, 37, 127] {
            let scale: Float = 0.0123
            var exact = 0.0, magnitude = 0.0
            for b in 0..<(cols / 32) {
                var s = 0
                for j in (b * 32)..<(b * 32 + 32) { s += (Int(w[j]) - Int(zero)) * Int(qv[j]) }
                exact += Double(s) * Double(qs[b]) * Double(scale)
                magnitude += abs(Double(s) * Double(qs[b]) * Double(scale))
            }
            let got = ReferenceDot.int8(w, qv, qs, count: cols, scale: scale, zeroPoint: zero)
            #expect(abs(Double(got) - exact) <= 1e-5 * magnitude, "zero \(zero): \(got) vs \(exact)")
        }
    }

    /// The C activation quantization against ActivationQuantization's Swift loop: random
    /// blocks of several magnitudes, an all-zero block, exact .5 ties (amax 127 makes
    /// x · id = x), and blocks with NaN, ±infinity or a largest value so tiny that 1/d
    /// overflows (both must give the same bytes, not trap); also the block sums.
    @Test(.enabled(if: !KernelPathsUnderTest.vectorized.isEmpty,
                   "no kernel path under test (this CPU, AUTOGLM_KERNELS) has C kernels"))
    func vectorizedActivationQuantizationEqualsSwiftBitForBit() throws {
        var rng = Random(state: 2024)
        let cols = 32 * 15
        var x: [Float] = []
        for b in 0..<12 {
            let scale: Float = [1, 1e-3, 300, 0, 1e-30, 1][b % 6]
            x += (0..<32).map { _ in rng.float(scale) }
        }
        for j in 0..<32 { x[32 * 5 + j] = Float(j % 2 == 0 ? 1 : -1) * (Float(j) + 0.5) }  // ties
        x[32 * 5 + 31] = 127
        x += (0..<32).map { Float($0) - 16 }
        x[32 * 12 + 3] = .nan                   // NaN ignored by amax, its own value saturates
        x += (0..<32).map { Float($0) - 16 }
        x[32 * 13 + 7] = .infinity              // d = ∞, 1/d = 0, ∞ · 0 = NaN
        x[32 * 13 + 8] = -.infinity
        x += (0..<32).map { Float($0 % 3) * 1e-40 }  // subnormal block: 1/d = ∞
        let tokens = 2
        let rows = x + x.map { -$0 }
        var swiftValues = [Int8](repeating: 0, count: tokens * cols), cValues = swiftValues
        var swiftScales = [Float](repeating: 0, count: tokens * cols / 32), cScales = swiftScales
        var swiftSums = [Int32](repeating: 0, count: tokens * cols / 32), cSums = swiftSums
        for t in 0..<tokens {
            rows.withUnsafeBufferPointer { r in
                swiftValues.withUnsafeMutableBufferPointer { v in
                    swiftScales.withUnsafeMutableBufferPointer { s in
                        ActivationQuantization.quantizeRow(r.baseAddress! + t * cols, count: cols, values: v.baseAddress! + t * cols,
                                                           scales: s.baseAddress! + t * cols / 32)
                    }
                }
            }
        }
        ActivationQuantization.blockSums(swiftValues, count: tokens * cols, sums: &swiftSums)
        for path in KernelPathsUnderTest.vectorized {
            let ran = aglm_quantize_rows(path.rawValue, rows, Int64(cols), Int64(tokens), Int64(cols), &cValues, &cScales, &cSums)
            try #require(ran != 0, "\(path.name) has no quantization kernel")
            #expect(cValues == swiftValues, "\(path.name)")
            #expect(cScales.map(\.bitPattern) == swiftScales.map(\.bitPattern), "\(path.name)")
            #expect(cSums == swiftSums, "\(path.name)")
            cValues = cValues.map { _ in 99 }; cScales = cScales.map { _ in .nan }; cSums = cSums.map { _ in 99 }
        }
        // The non-finite cases by their definition, on the Swift spec itself.
        #expect(swiftValues[32 * 12] == -127 && swiftValues[32 * 12 + 3] == -128)       // amax 16 ignores NaN
        #expect(swiftValues[32 * 13 + 7] == -128 && swiftValues[32 * 13 + 8] == -128)   // ±∞ · 0
        #expect(swiftValues[32 * 13] == 0 && swiftScales[13] == .infinity)
        #expect(swiftValues[32 * 14] == -128 && swiftValues[32 * 14 + 2] == -128)       // 0 · ∞ and 2e-40 · ∞
    }

    @Test func halfFloatRoundTripsEveryHalf() {
        for bits in UInt16.min...UInt16.max {
            let f = HalfFloat.toFloat(bits)
            if f.isNaN { continue }
            #expect(HalfFloat.fromFloat(f) == bits)
        }
        #expect(HalfFloat.fromFloat(65520) == 0x7C00)     // rounds to +inf
        #expect(HalfFloat.fromFloat(1.0009765625 + 0.00048828125) == 0x3C02)  // tie → even
    }
}
