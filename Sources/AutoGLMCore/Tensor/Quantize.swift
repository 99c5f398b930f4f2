/// Float → stored tensor types, bit for bit as ggml's reference code and gguf-py do it,
/// so a file quantized here equals one made by llama.cpp's converter from the same
/// weights (checked against the committed fixtures).
public enum TensorQuantizer {
    /// ggml's Q8_0 and Q4_0 block length.
    static let blockLength = 32
    /// Largest Q8_0 magnitude: scales map a block's largest |x| to it.
    static let q8Max: Float = 127
    /// Q4_0 maps a block's largest-magnitude value to -8 (nibble 0) and offsets by 8.
    static let q4Min: Float = -8
    static let q4Offset: Float = 8.5
    static let q4MaxNibble: Int32 = 15

    /// Quantizes `count` floats (a multiple of `type.blockSize`) into `type.rowBytes(count)` bytes at `out`.
    public static func quantize(_ x: UnsafePointer<Float>, count: Int, to type: TensorType, into out: UnsafeMutableRawPointer) {
        precondition(count % type.blockSize == 0, "quantize: \(count) elements do not fill whole \(type.name) blocks")
        switch type {
        case .f32:
            for i in 0..<count { out.storeBytes(of: x[i].bitPattern, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16:
            for i in 0..<count { out.storeBytes(of: HalfFloat.fromFloat(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { out.storeBytes(of: bf16FromFloat(x[i]), toByteOffset: 2 * i, as: UInt16.self) }
        case .int8:
            preconditionFailure("quantize: INT8 rows carry their own scale: use Int8RowQuantizer")
        case .q4_1, .q5_0, .q5_1, .q2_k, .q3_k, .q4_k, .q5_k, .q6_k:
            // Loaded and computed, not yet written: GGUFQuantizer.targetNames does not offer them.
            preconditionFailure("quantize: writing \(type.name) is not implemented")
        case .q8_0:
            for b in 0..<(count / blockLength) {
                quantizeQ8_0Block(x + b * blockLength, into: out + b * type.bytesPerBlock)
            }
        case .q4_0:
            for b in 0..<(count / blockLength) {
                quantizeQ4_0Block(x + b * blockLength, into: out + b * type.bytesPerBlock)
            }
        }
    }

    /// ggml_compute_fp32_to_bf16: round to nearest even on the top 16 bits; a NaN is
    /// made quiet (bit 22 set) so truncation cannot turn it into infinity.
    @inline(__always)
    public static func bf16FromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16((bits >> 16) | 0x40) }
        let rounded = UInt64(bits) + 0x7FFF + UInt64((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// quantize_row_q8_0_ref: d = amax/127, q = roundf(x · (1/d)); d stored as f16.
    /// The multiply by the reciprocal (not a division) is what ggml and gguf-py do.
    static func quantizeQ8_0Block(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<blockLength { amax = max(amax, abs(x[j])) }
        let d = amax / q8Max
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: HalfFloat.fromFloat(d), as: UInt16.self)
        for j in 0..<blockLength {
            let q = (x[j] * id).rounded(.toNearestOrAwayFromZero)
            // Finite weights give |q| <= 127; a NaN or infinity in the file must not trap the conversion.
            let clamped: Float = q.isNaN ? 0 : min(q8Max, max(-q8Max, q))
            out.storeBytes(of: Int8(clamped), toByteOffset: 2 + j, as: Int8.self)
        }
    }

    /// quantize_row_q4_0_ref: the signed value of largest magnitude maps to -8; element j
    /// goes to the low nibble of byte j, element j+16 to its high nibble.
    static func quantizeQ4_0Block(_ x: UnsafePointer<Float>, into out: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var extreme: Float = 0
        for j in 0..<blockLength where amax < abs(x[j]) {
            amax = abs(x[j])
            extreme = x[j]
        }
        let d = extreme / q4Min
        let id: Float = d != 0 ? 1 / d : 0
        out.storeBytes(of: HalfFloat.fromFloat(d), as: UInt16.self)
        let half = blockLength / 2
        for j in 0..<half {
            // C's (int8_t) cast truncates toward zero; the values are in [0.5, 16.5].
            let lo = min(q4MaxNibble, nibble(x[j] * id + q4Offset))
            let hi = min(q4MaxNibble, nibble(x[j + half] * id + q4Offset))
            out.storeBytes(of: UInt8(lo) | UInt8(hi) << 4, toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    /// Truncation toward zero, with NaN and out-of-range values (from non-finite weights) pinned instead of trapping.
    @inline(__always)
    static func nibble(_ v: Float) -> Int32 {
        guard v.isFinite else { return 0 }
        return Int32(min(Float(q4MaxNibble), max(0, v)))
    }
}
