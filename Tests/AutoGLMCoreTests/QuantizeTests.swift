import Testing
@testable import AutoGLMCore

/// Quantization of single tensors against llama.cpp's converter (gguf-py): the committed
/// f16 and q8_0 fixtures were made from the same weights as the f32 ones, tensor by
/// tensor under the same names, so quantizing the f32 data must reproduce their bytes.
@Suite struct QuantizeTests {
    /// Quantizes every tensor of `family-f32.gguf` to the type it has in `family-<variant>.gguf`
    /// and compares bytes.
    func reproduce(_ family: String, variant: String) throws {
        let f32 = try GGUFFile(path: Fixtures.path("models/\(family)-f32.gguf"))
        let other = try GGUFFile(path: Fixtures.path("models/\(family)-\(variant).gguf"))
        #expect(f32.tensors.count == other.tensors.count)
        for expected in other.tensors {
            let source = try #require(f32.tensor(named: expected.name))
            #expect(source.type == .f32 && source.shape == expected.shape)
            var out = [UInt8](repeating: 0, count: expected.byteCount)
            let floats = f32.data(for: source).assumingMemoryBound(to: Float.self)
            out.withUnsafeMutableBytes {
                TensorQuantizer.quantize(floats, count: source.elementCount, to: expected.type, into: $0.baseAddress!)
            }
            let reference = Array(other.bytes(for: expected))
            let mismatches = zip(out, reference).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(family)-\(variant) \(expected.name) (\(expected.type.name)): \(mismatches) bytes differ")
        }
    }

    @Test(arguments: Fixtures.families)
    func q8_0MatchesLlamaCppConverter(family: String) throws { try reproduce(family, variant: "q8_0") }

    @Test(arguments: Fixtures.families)
    func f16MatchesLlamaCppConverter(family: String) throws { try reproduce(family, variant: "f16") }

    @Test func bf16RoundsToNearestEvenAndKeepsNaN() {
        #expect(TensorQuantizer.bf16FromFloat(1.0) == 0x3F80)
        // Exactly halfway: ties go to the even mantissa.
        #expect(TensorQuantizer.bf16FromFloat(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(TensorQuantizer.bf16FromFloat(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(TensorQuantizer.bf16FromFloat(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(TensorQuantizer.bf16FromFloat(-Float.infinity) == 0xFF80)
        // Largest finite float rounds up to infinity, as ggml does.
        #expect(TensorQuantizer.bf16FromFloat(Float.greatestFiniteMagnitude) == 0x7F80)
        // A NaN whose payload sits only in the low bits would truncate to infinity: it stays NaN.
        let nan = TensorQuantizer.bf16FromFloat(Float(bitPattern: 0x7F80_0001))
        #expect(HalfFloat.bf16ToFloat(nan).isNaN)
        #expect(HalfFloat.bf16ToFloat(TensorQuantizer.bf16FromFloat(-.nan)).isNaN)
    }

    @Test func q8_0BlockByHand() {
        // amax 127 gives d = 1: q = round-half-away(x); a zero block gives d = 0, q = 0.
        var x = [Float](repeating: 0, count: 64)
        x[0] = 127; x[1] = -2.5; x[2] = 2.5; x[3] = 0.49; x[4] = -127
        var out = [UInt8](repeating: 0xAA, count: 68)
        out.withUnsafeMutableBytes { TensorQuantizer.quantize(x, count: 64, to: .q8_0, into: $0.baseAddress!) }
        #expect(out[0] == 0x00 && out[1] == 0x3C)  // f16 1.0
        #expect(out[2...6].map { Int8(bitPattern: $0) } == [127, -3, 3, 0, -127])
        #expect(out[34...].allSatisfy { $0 == 0 })
    }

    @Test func nonFiniteWeightsDoNotTrap() {
        var x = [Float](repeating: 1, count: 32)
        x[3] = .nan; x[4] = .infinity
        for type in [TensorType.q8_0, .q4_0] {
            var out = [UInt8](repeating: 0, count: type.rowBytes(elements: 32)!)
            out.withUnsafeMutableBytes { TensorQuantizer.quantize(x, count: 32, to: type, into: $0.baseAddress!) }
        }
    }

    /// Q4_0 has no converter fixture: check the reconstruction error bound instead. The
    /// extreme value maps to -8, so the other sign reaches only +7 and clips: error up
    /// to d there, d/2 everywhere else.
    @Test func q4_0ReconstructsWithinHalfAStep() {
        var rng: UInt64 = 12345
        var x = [Float](repeating: 0, count: 96)
        for i in 0..<x.count {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            x[i] = Float(Int64(bitPattern: rng >> 11) % 2001 - 1000) / 337
        }
        var q = [UInt8](repeating: 0, count: TensorType.q4_0.rowBytes(elements: 96)!)
        q.withUnsafeMutableBytes { TensorQuantizer.quantize(x, count: 96, to: .q4_0, into: $0.baseAddress!) }
        var back = [Float](repeating: 0, count: 96)
        q.withUnsafeBytes { dequantize(type: .q4_0, $0.baseAddress!, count: 96, into: &back) }
        for b in 0..<3 {
            let d = abs(HalfFloat.toFloat(UInt16(q[b * 18]) | UInt16(q[b * 18 + 1]) << 8))
            for j in 0..<32 {
                let clipped = abs(x[b * 32 + j]) > 7.5 * d
                // The stored d is f16-rounded: |q| <= 8 times its half-ulp (2^-11 relative) adds < 0.01·d.
                #expect(abs(back[b * 32 + j] - x[b * 32 + j]) <= (clipped ? d : d * 0.5) + d * 0.01, "block \(b) element \(j)")
            }
        }
    }
}
