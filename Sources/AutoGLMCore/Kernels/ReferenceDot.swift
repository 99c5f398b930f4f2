/// Scalar dot products: the definition of every kernel's arithmetic.
///
/// Float weights (F32, F16, BF16) against Float activations accumulate in 8 lanes —
/// element i goes to lane i % 8, each product rounded then added — and the lanes are
/// summed in the fixed tree ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). That is what an
/// 8-wide vector loop computes, so vector backends can match it exactly.
///
/// Block-quantized weights (Q8_0, Q4_0) against quantized activations: per block an
/// exact Int32 sum of int8 products, then acc += Float(sum) · (d_w · d_x), blocks in order.
///
/// Per-output-channel INT8 weights (row r: int8 q_w, Float scale s_r, int8 zero point z_r,
/// z_r = 0 when symmetric) against quantized activations (int8 q_a, Float d_b per block b
/// of 32), exactly in this order:
///
///   acc: Float = 0
///   for b in 0, 1, …, count/32 − 1:
///       S_b = Σ_j q_w[32b+j] · q_a[32b+j]  −  z_r · Σ_j q_a[32b+j]     (Int32, exact)
///       acc = acc + Float(S_b) · d_b          (product rounded to Float, then the sum)
///   result = acc · s_r                         (one rounding)
///
/// |S_b| ≤ 32 · 255 · 127 < 2^24, so Float(S_b) is exact and any integer summation order
/// gives the same S_b. No fused multiply-add anywhere: vector kernels may reorder the
/// integer sums (SDOT, vpmaddwd) but must keep the Float steps as written.
public enum ReferenceDot {
    public static func floatWeights(_ type: TensorType, _ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &lanes) { raw in
            let l = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            for i in 0..<count {
                let wi: Float
                switch type {
                case .f32: wi = w.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
                case .f16: wi = HalfFloat.toFloat(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                default: wi = HalfFloat.bf16ToFloat(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
                let product = wi * x[i]
                l[i % 8] = l[i % 8] + product
            }
        }
        return ((lanes.0 + lanes.4) + (lanes.2 + lanes.6)) + ((lanes.1 + lanes.5) + (lanes.3 + lanes.7))
    }

    public static func q8_0(_ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int) -> Float {
        var acc: Float = 0
        for b in 0..<(count / 32) {
            let block = w + b * 34
            let wd = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            var sum: Int32 = 0
            for j in 0..<32 {
                sum += Int32(block.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(xq[b * 32 + j])
            }
            acc += Float(sum) * (wd * xd[b])
        }
        return acc
    }

    public static func q4_0(_ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int) -> Float {
        var acc: Float = 0
        for b in 0..<(count / 32) {
            let block = w + b * 18
            let wd = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            var sum: Int32 = 0
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                sum += Int32(Int(byte & 0x0F) - 8) * Int32(xq[b * 32 + j])
                sum += Int32(Int(byte >> 4) - 8) * Int32(xq[b * 32 + j + 16])
            }
            acc += Float(sum) * (wd * xd[b])
        }
        return acc
    }

    /// Per-output-channel INT8 (see the type comment for the exact order).
    public static func int8(_ w: UnsafePointer<Int8>, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int,
                            scale: Float, zeroPoint: Int32) -> Float {
        var acc: Float = 0
        for b in 0..<(count / 32) {
            var products: Int32 = 0
            var activations: Int32 = 0
            for j in 0..<32 {
                products += Int32(w[b * 32 + j]) * Int32(xq[b * 32 + j])
                activations += Int32(xq[b * 32 + j])
            }
            let sum = products - zeroPoint * activations
            acc += Float(sum) * xd[b]
        }
        return acc * scale
    }
}
