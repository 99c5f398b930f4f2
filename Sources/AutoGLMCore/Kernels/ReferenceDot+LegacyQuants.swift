/// Q4_1, Q5_0 and Q5_1 weights against activations quantized in blocks of 32
/// (ActivationQuantization: int8 q_x, Float d_x per block), as ggml's vec_dot_q4_1_q8_1,
/// vec_dot_q5_0_q8_0 and vec_dot_q5_1_q8_1 compute them, in this order:
///
///   acc: Float = 0
///   for b in blocks:
///       S_b = Σ_j q_w[j] · q_x[j]                     (Int32, exact; Q5_0 uses q_w − 16)
///   Q5_0:      acc = acc + Float(S_b) · (d_w · d_x)
///   Q4_1/Q5_1: X_b = Σ_j q_x[j]                         (Int32, exact)
///              acc = acc + (Float(S_b) · (d_w · d_x) + m_w · (d_x · Float(X_b)))
///
/// ggml keeps d_x · X_b as the f16 "s" of its Q8_1 block; here it is formed in Float
/// from the same integers, like our Float activation scale.
extension ReferenceDot {
    public static func legacyQuant(_ type: TensorType, _ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>,
                                   _ xd: UnsafePointer<Float>, count: Int) -> Float {
        let size = LegacyQuantBlock.size
        let bytes = type.bytesPerBlock
        let offset = LegacyQuantBlock.offset(type)
        var acc: Float = 0
        for b in 0..<(count / size) {
            let block = w + b * bytes
            let x = xq + b * size
            var products: Int32 = 0
            var activations: Int32 = 0
            for j in 0..<size {
                products &+= (LegacyQuantBlock.quant(type, block, j) - offset) &* Int32(x[j])
                activations &+= Int32(x[j])
            }
            let d = LegacyQuantBlock.scale(block)
            if LegacyQuantBlock.hasMinimum(type) {
                let m = LegacyQuantBlock.minimum(block)
                acc += Float(products) * (d * xd[b]) + m * (xd[b] * Float(activations))
            } else {
                acc += Float(products) * (d * xd[b])
            }
        }
        return acc
    }
}
