import Testing
@testable import AutoGLMCore

/// Quantize → dequantize round trips for every output format of `autoglm quantize`, each
/// against the error bound its definition implies, on rows meant to break them: random
/// values, zeros, a constant, one large outlier among small values, one sign only, tiny values.
@Suite struct RoundTripTests {
    static let cols = 96

    /// Rows of `cols` values.
    static func rows() -> [[Float]] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func uniform() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        var out: [[Float]] = []
        out.append((0..<cols).map { _ in uniform() })
        out.append((0..<cols).map { _ in uniform() * 1e-3 })
        out.append([Float](repeating: 0, count: cols))
        out.append([Float](repeating: 0.3, count: cols))
        out.append([Float](repeating: -2.75, count: cols))
        var outlier = (0..<cols).map { _ in uniform() * 0.01 }
        outlier[17] = 40
        out.append(outlier)
        out.append((0..<cols).map { _ in abs(uniform()) + 0.5 })      // positive only
        out.append((0..<cols).map { _ in -abs(uniform()) * 3 })       // negative only
        out.append((0..<cols).map { _ in uniform() * 1e-6 })          // F16 subnormal range
        return out
    }

    static let epsilon = Float.ulpOfOne  // 2^-23

    @Test func f16WithinHalfAnUlp() {
        for (i, row) in Self.rows().enumerated() {
            var bytes = [UInt8](repeating: 0, count: 2 * Self.cols)
            var back = [Float](repeating: .nan, count: Self.cols)
            bytes.withUnsafeMutableBytes { TensorQuantizer.quantize(row, count: Self.cols, to: .f16, into: $0.baseAddress!) }
            bytes.withUnsafeBytes { dequantize(type: .f16, $0.baseAddress!, count: Self.cols, into: &back) }
            for j in 0..<Self.cols {
                // 11 significant bits: half an ulp is |w|·2^-11 for normals, 2^-25 below 2^-14.
                let bound = max(abs(row[j]) * 0x1p-11, 0x1p-25)
                #expect(abs(row[j] - back[j]) <= bound, "row \(i) col \(j)")
            }
        }
    }

    @Test func bf16WithinHalfAnUlp() {
        for (i, row) in Self.rows().enumerated() {
            var bytes = [UInt8](repeating: 0, count: 2 * Self.cols)
            var back = [Float](repeating: .nan, count: Self.cols)
            bytes.withUnsafeMutableBytes { TensorQuantizer.quantize(row, count: Self.cols, to: .bf16, into: $0.baseAddress!) }
            bytes.withUnsafeBytes { dequantize(type: .bf16, $0.baseAddress!, count: Self.cols, into: &back) }
            for j in 0..<Self.cols {
                // 8 significant bits: half an ulp is at most |w|·2^-8.
                #expect(abs(row[j] - back[j]) <= abs(row[j]) * 0x1p-8, "row \(i) col \(j)")
            }
        }
    }

    @Test func q8_0WithinHalfAStepPlusTheF16Scale() {
        for (i, row) in Self.rows().enumerated() {
            var bytes = [UInt8](repeating: 0, count: TensorType.q8_0.rowBytes(elements: Self.cols)!)
            var back = [Float](repeating: .nan, count: Self.cols)
            bytes.withUnsafeMutableBytes { TensorQuantizer.quantize(row, count: Self.cols, to: .q8_0, into: $0.baseAddress!) }
            bytes.withUnsafeBytes { dequantize(type: .q8_0, $0.baseAddress!, count: Self.cols, into: &back) }
            for b in 0..<(Self.cols / 32) {
                let amax = row[(b * 32)..<(b * 32 + 32)].map { abs($0) }.max()!
                let d = amax / 127
                // d/2 from rounding q, plus |q| ≤ 127 times the f16 rounding of d (≤ d·2^-11;
                // an f16-subnormal d rounds by up to 2^-25 absolute), plus float rounding.
                let bound = d * (0.5 + 127 * 0x1p-11) + 127 * 0x1p-25 + amax * 4 * Self.epsilon
                for j in (b * 32)..<(b * 32 + 32) {
                    #expect(abs(row[j] - back[j]) <= bound, "row \(i) col \(j): \(abs(row[j] - back[j])) > \(bound)")
                }
            }
        }
    }

    /// INT8: |w − s·(q − z)| ≤ s/2 in exact arithmetic (docs/int8-format.md); the
    /// division w/s and the product s·(q − z) each round once, |q − z| ≤ 255, so
    /// s·(1/2 + 256ε) bounds what Float adds.
    @Test(arguments: [false, true])
    func int8WithinHalfAScale(asymmetric: Bool) {
        for (i, row) in Self.rows().enumerated() {
            var q = [Int8](repeating: 0, count: Self.cols)
            var back = [Float](repeating: .nan, count: Self.cols)
            let (scale, zero) = Int8RowQuantizer.quantize(row, count: Self.cols, asymmetric: asymmetric, into: &q)
            dequantizeInt8(q, count: Self.cols, scale: scale, zeroPoint: Int32(zero), into: &back)
            let lo = min(0, row.min()!), hi = max(0, row.max()!)
            let expectedScale = asymmetric ? (hi - lo) / 255 : max(hi, -lo) / 127
            #expect(scale == expectedScale, "row \(i) scale")
            if !asymmetric { #expect(zero == 0) }
            let bound = scale * (0.5 + 256 * Self.epsilon)
            for j in 0..<Self.cols {
                #expect(abs(row[j] - back[j]) <= bound, "row \(i) col \(j): \(abs(row[j] - back[j])) > \(bound)")
            }
            // Zero itself is always a code, so zero rows and exact zeros come back exactly.
            for j in 0..<Self.cols where row[j] == 0 { #expect(back[j] == 0, "row \(i) col \(j)") }
        }
    }

    /// The extremes use the whole code range: ±127 symmetric, −128…127 asymmetric.
    @Test func int8UsesTheFullRange() {
        let row: [Float] = (0..<64).map { Float($0) / 63 * 3 - 1 }  // −1 … 2
        var q = [Int8](repeating: 0, count: 64)
        _ = Int8RowQuantizer.quantize(row, count: 64, asymmetric: false, into: &q)
        #expect(q.max() == 127 && q.min() == -64)
        _ = Int8RowQuantizer.quantize(row, count: 64, asymmetric: true, into: &q)
        #expect(q.max() == 127 && q.min() == -128)
    }

    @Test func int8NonFiniteWeightsDoNotTrap() {
        var row = [Float](repeating: 0.5, count: 32)
        row[1] = .nan; row[2] = .infinity; row[3] = -.infinity
        for asymmetric in [false, true] {
            var q = [Int8](repeating: 0, count: 32)
            let (scale, zero) = Int8RowQuantizer.quantize(row, count: 32, asymmetric: asymmetric, into: &q)
            #expect(scale.isFinite && scale > 0)
            #expect(q[1] == zero && q[2] == 127 && q[3] == (asymmetric ? -128 : -127))
        }
    }
}
