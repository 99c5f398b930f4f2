/// ggml's 32-element "legacy" blocks beyond Q4_0 and Q8_0 (ggml-common.h), read one
/// integer at a time. Element j < 16 sits in the low nibble of byte j, element j + 16 in
/// its high nibble; Q5 types take the fifth bit of element j from bit j of a 32-bit mask.
///
///   Q4_1: f16 d, f16 m, 16 bytes of nibbles              w = d·q + m,        q ∈ [0, 15]
///   Q5_0: f16 d, u32 fifth bits, 16 bytes of nibbles     w = d·(q − 16),     q ∈ [0, 31]
///   Q5_1: f16 d, f16 m, u32 fifth bits, 16 bytes        w = d·q + m,        q ∈ [0, 31]
public enum LegacyQuantBlock {
    public static let size = 32

    /// The block's scale d (first two bytes of every legacy block).
    @inline(__always)
    public static func scale(_ block: UnsafeRawPointer) -> Float {
        HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
    }

    /// Q4_1/Q5_1's minimum m (bytes 2–3).
    @inline(__always)
    public static func minimum(_ block: UnsafeRawPointer) -> Float {
        HalfFloat.toFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
    }

    /// Element j's stored integer q, before any offset: 4 bits for Q4_1, 5 for Q5_0/Q5_1.
    @inline(__always)
    public static func quant(_ type: TensorType, _ block: UnsafeRawPointer, _ j: Int) -> Int32 {
        switch type {
        case .q4_1:
            return nibble(block + 4, j)
        case .q5_0:
            return nibble(block + 6, j) | fifthBit(block + 2, j)
        default:  // .q5_1
            return nibble(block + 8, j) | fifthBit(block + 4, j)
        }
    }

    /// Whether the type stores a minimum (w = d·q + m) rather than a centred q.
    @inline(__always)
    public static func hasMinimum(_ type: TensorType) -> Bool { type != .q5_0 }

    /// Q5_0 centres its 5-bit values on 16; Q4_1 and Q5_1 add the minimum instead.
    @inline(__always)
    public static func offset(_ type: TensorType) -> Int32 { type == .q5_0 ? 16 : 0 }

    @inline(__always)
    static func nibble(_ qs: UnsafeRawPointer, _ j: Int) -> Int32 {
        let byte = qs.load(fromByteOffset: j % 16, as: UInt8.self)
        return Int32(j < 16 ? byte & 0x0F : byte >> 4)
    }

    @inline(__always)
    static func fifthBit(_ qh: UnsafeRawPointer, _ j: Int) -> Int32 {
        let mask = qh.loadUnaligned(as: UInt32.self)
        return Int32((mask >> UInt32(j)) & 1) << 4
    }

    /// `count` elements (whole blocks) as Float, as gguf-py's dequantize computes them:
    /// d·q + m for Q4_1/Q5_1, d·(q − 16) for Q5_0, each product and sum rounded once.
    public static func dequantize(_ type: TensorType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        let bytes = type.bytesPerBlock
        for b in 0..<(count / size) {
            let block = src + b * bytes
            let d = scale(block)
            if hasMinimum(type) {
                let m = minimum(block)
                for j in 0..<size { out[b * size + j] = d * Float(quant(type, block, j)) + m }
            } else {
                for j in 0..<size { out[b * size + j] = d * Float(quant(type, block, j) - offset(type)) }
            }
        }
    }
}
