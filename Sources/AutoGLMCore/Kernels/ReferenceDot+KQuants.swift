/// K-quant weights (KQuantBlock) against activations quantized in super-blocks of 256
/// (SuperBlockActivationQuantization: int8 q_x, one Float d_x per 256), as ggml's
/// vec_dot_qN_K_q8_K compute them: integer sums per super-block, the minimums through
/// the per-16 activation sums (Q8_K's bsums), then one scaling per super-block:
///
///   acc: Float = 0
///   for each super-block i:
///       S = Σ_g s_g · Σ_l q_w[16g+l] · q_x[16g+l]        (Int32, exact)
///       M = Σ_g m_g · Σ_l q_x[16g+l]                     (Int32, exact; types with minimums)
///       acc = acc + Float(S) · (d_w · d_x)
///       acc = acc − Float(M) · (dmin_w · d_x)             (types with minimums)
///
/// |S| ≤ 256 · 128 · 32 · 128 < 2^31 for every type (Q6_K's int8 scales are the largest),
/// so the integer sums cannot overflow; Float(S) may round, identically on every backend.
extension ReferenceDot {
    public static func kQuant(_ type: TensorType, _ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>,
                              _ xd: UnsafePointer<Float>, count: Int) -> Float {
        let size = KQuantBlock.superBlockSize, groupSize = KQuantBlock.groupSize
        let bytes = type.bytesPerBlock
        let hasMinimum = KQuantBlock.hasMinimum(type)
        var acc: Float = 0
        for i in 0..<(count / size) {
            let block = w + i * bytes
            let x = xq + i * size
            var scaled: Int32 = 0
            var minimums: Int32 = 0
            for g in 0..<KQuantBlock.groupCount {
                var products: Int32 = 0
                var activations: Int32 = 0
                for l in 0..<groupSize {
                    let e = g * groupSize + l
                    products &+= KQuantBlock.quant(type, block, e) &* Int32(x[e])
                    activations &+= Int32(x[e])
                }
                scaled &+= KQuantBlock.groupScale(type, block, g) &* products
                if hasMinimum { minimums &+= KQuantBlock.groupMinimum(type, block, g) &* activations }
            }
            acc += Float(scaled) * (KQuantBlock.scale(type, block) * xd[i])
            if hasMinimum { acc -= Float(minimums) * (KQuantBlock.minimumScale(type, block) * xd[i]) }
        }
        return acc
    }

    /// The reference dot for any block type the vector kernels do not cover yet.
    @inline(__always)
    public static func blockQuant(_ type: TensorType, _ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>,
                                  _ xd: UnsafePointer<Float>, count: Int) -> Float {
        type.isKQuant ? kQuant(type, w, xq, xd, count: count) : legacyQuant(type, w, xq, xd, count: count)
    }
}
