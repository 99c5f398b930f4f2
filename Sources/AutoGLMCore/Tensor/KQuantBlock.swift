/// ggml's K-quant super-blocks (ggml-common.h, QK_K = 256), read one integer at a time.
/// Every type is described the same way: 16 groups of 16 elements, each with an integer
/// scale s_g and (Q2_K, Q4_K, Q5_K) an integer minimum m_g, under the block's f16 d and dmin:
///
///   w[16g + l] = (d · s_g) · q − (dmin · m_g)        (no minimum term for Q3_K and Q6_K)
///
/// where q is the element's signed integer (Q3_K: q − 4 unless its high bit is set; Q6_K:
/// q − 32). Q4_K and Q5_K store scales per 32 elements, so groups 2k and 2k+1 share one.
///
///   Q2_K  84 B: scales[16] (low nibble s, high nibble m), qs[64] 2-bit, d, dmin
///   Q3_K 110 B: hmask[32] (third bits), qs[64] 2-bit, scales[12] 16×6-bit (s − 32), d
///   Q4_K 144 B: d, dmin, scales[12] 8×(6-bit s, 6-bit m), qs[128] nibbles
///   Q5_K 176 B: d, dmin, scales[12] as Q4_K, qh[32] (fifth bits), qs[128] nibbles
///   Q6_K 210 B: ql[128] nibbles, qh[64] 2-bit high parts, scales[16] int8, d
public enum KQuantBlock {
    public static let superBlockSize = 256
    public static let groupSize = 16
    public static let groupCount = superBlockSize / groupSize

    /// The block's f16 d.
    @inline(__always)
    public static func scale(_ type: TensorType, _ block: UnsafeRawPointer) -> Float {
        let offset: Int
        switch type {
        case .q2_k: offset = 80
        case .q3_k: offset = 108
        case .q6_k: offset = 208
        default: offset = 0  // .q4_k, .q5_k
        }
        return HalfFloat.toFloat(block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Whether the type subtracts dmin · m_g.
    @inline(__always)
    public static func hasMinimum(_ type: TensorType) -> Bool { type == .q2_k || type == .q4_k || type == .q5_k }

    /// The block's f16 dmin (only for types with minimums).
    @inline(__always)
    public static func minimumScale(_ type: TensorType, _ block: UnsafeRawPointer) -> Float {
        HalfFloat.toFloat(block.loadUnaligned(fromByteOffset: type == .q2_k ? 82 : 2, as: UInt16.self))
    }

    /// Group g's integer scale s_g.
    @inline(__always)
    public static func groupScale(_ type: TensorType, _ block: UnsafeRawPointer, _ g: Int) -> Int32 {
        switch type {
        case .q2_k:
            return Int32(block.load(fromByteOffset: g, as: UInt8.self) & 0x0F)
        case .q3_k:
            let scales = block + 96
            let low = g < 8 ? scales.load(fromByteOffset: g, as: UInt8.self) & 0x0F
                            : scales.load(fromByteOffset: g - 8, as: UInt8.self) >> 4
            let high = (scales.load(fromByteOffset: 8 + g % 4, as: UInt8.self) >> UInt8(2 * (g / 4))) & 3
            return Int32(low | high << 4) - 32
        case .q6_k:
            return Int32(block.load(fromByteOffset: 192 + g, as: Int8.self))
        default:  // .q4_k, .q5_k
            return sixBitPair(block + 4, g / 2).scale
        }
    }

    /// Group g's integer minimum m_g (0 for types without minimums).
    @inline(__always)
    public static func groupMinimum(_ type: TensorType, _ block: UnsafeRawPointer, _ g: Int) -> Int32 {
        switch type {
        case .q2_k: return Int32(block.load(fromByteOffset: g, as: UInt8.self) >> 4)
        case .q4_k, .q5_k: return sixBitPair(block + 4, g / 2).minimum
        default: return 0
        }
    }

    /// get_scale_min_k4: sub-block j's 6-bit scale and minimum from Q4_K/Q5_K's 12 bytes.
    /// j < 4: the low 6 bits of bytes j and j + 4; j ≥ 4: a nibble of byte j + 4 plus the
    /// top 2 bits of bytes j − 4 (scale) and j (minimum).
    @inline(__always)
    static func sixBitPair(_ scales: UnsafeRawPointer, _ j: Int) -> (scale: Int32, minimum: Int32) {
        let q = { (i: Int) -> UInt8 in scales.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (Int32(q(j) & 63), Int32(q(j + 4) & 63)) }
        return (Int32((q(j + 4) & 0x0F) | (q(j - 4) >> 6) << 4), Int32((q(j + 4) >> 4) | (q(j) >> 6) << 4))
    }

    /// Element e's signed integer q (offsets applied: Q3_K's −4, Q6_K's −32).
    @inline(__always)
    public static func quant(_ type: TensorType, _ block: UnsafeRawPointer, _ e: Int) -> Int32 {
        // Within each half of 128 elements, 2-bit types store 4 slices of 32 in the bit
        // pairs of the same 32 bytes; nibble types store 2 slices of 32 per 32 bytes.
        let half = e / 128, slice = (e % 128) / 32, l = e % 32
        switch type {
        case .q2_k:
            return Int32((block.load(fromByteOffset: 16 + 32 * half + l, as: UInt8.self) >> UInt8(2 * slice)) & 3)
        case .q3_k:
            let low = Int32((block.load(fromByteOffset: 32 + 32 * half + l, as: UInt8.self) >> UInt8(2 * slice)) & 3)
            let highSet = (block.load(fromByteOffset: l, as: UInt8.self) >> UInt8(4 * half + slice)) & 1 != 0
            return highSet ? low : low - 4
        case .q4_k, .q5_k:
            let chunk = e / 64, upper = (e % 64) >= 32
            let qs = type == .q4_k ? 16 : 48
            let byte = block.load(fromByteOffset: qs + 32 * chunk + l, as: UInt8.self)
            let low = Int32(upper ? byte >> 4 : byte & 0x0F)
            guard type == .q5_k else { return low }
            let high = Int32((block.load(fromByteOffset: 16 + l, as: UInt8.self) >> UInt8(e / 32)) & 1)
            return low | high << 4
        default:  // .q6_k
            let byte = block.load(fromByteOffset: 64 * half + 32 * (slice % 2) + l, as: UInt8.self)
            let low = Int32(slice < 2 ? byte & 0x0F : byte >> 4)
            let high = Int32((block.load(fromByteOffset: 128 + 32 * half + l, as: UInt8.self) >> UInt8(2 * slice)) & 3)
            return (low | high << 4) - 32
        }
    }

    /// `count` elements (whole super-blocks) as Float, exactly as gguf-py computes them:
    /// (d · s_g) and (dmin · m_g) rounded to Float first, then one product and one difference.
    public static func dequantize(_ type: TensorType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let bytes = type.bytesPerBlock
        for b in 0..<(count / superBlockSize) {
            let block = src + b * bytes
            let d = scale(type, block)
            let dmin: Float = hasMinimum(type) ? minimumScale(type, block) : 0
            for g in 0..<groupCount {
                let dl = d * Float(groupScale(type, block, g))
                let base = b * superBlockSize + g * groupSize
                if hasMinimum(type) {
                    let ml = dmin * Float(groupMinimum(type, block, g))
                    for l in 0..<groupSize { out[base + l] = dl * Float(quant(type, block, g * groupSize + l)) - ml }
                } else {
                    for l in 0..<groupSize { out[base + l] = dl * Float(quant(type, block, g * groupSize + l)) }
                }
            }
        }
    }
}
