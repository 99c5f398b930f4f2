/// Activations for the K-quant kernels, quantized as ggml's quantize_row_q8_K_ref does
/// (llama.cpp's x86 and generic builds both run it), so our integer sums are llama.cpp's:
///
///   per super-block of 256: m = the element of largest |x| (first one on ties, NaN ignored)
///   m == 0: d = 0, q = 0
///   else:   s = −127 / m,  q = min(127, nearest_int(s · x)),  d = 1 / s   (Float, not f16)
///
/// nearest_int is ggml's round-half-to-even through the 1.5·2^23 trick; done here on the
/// bits so a NaN or infinite input gives the same (meaningless) integer on every backend
/// instead of trapping. The per-16 sums (Q8_K's bsums) are formed by the kernels.
public enum SuperBlockActivationQuantization {
    public static let blockSize = KQuantBlock.superBlockSize

    /// Quantizes `count` (a multiple of 256) floats into `values` and `scales` (one per 256).
    public static func quantizeRow(_ x: UnsafePointer<Float>, count: Int,
                                   values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        for b in 0..<(count / blockSize) {
            let base = b * blockSize
            var amax: Float = 0
            var extreme: Float = 0
            for j in 0..<blockSize {
                let ax = abs(x[base + j])
                if ax > amax { amax = ax; extreme = x[base + j] }
            }
            if amax == 0 {
                for j in 0..<blockSize { values[base + j] = 0 }
                scales[b] = 0
                continue
            }
            let iscale = -127 / extreme
            for j in 0..<blockSize {
                values[base + j] = Int8(truncatingIfNeeded: min(127, nearestInt(iscale * x[base + j])))
            }
            scales[b] = 1 / iscale
        }
    }

    /// ggml's nearest_int: adding 1.5·2^23 leaves round-half-even(v) in the low mantissa bits.
    @inline(__always)
    static func nearestInt(_ v: Float) -> Int32 {
        let bits = Int32(bitPattern: (v + 12_582_912).bitPattern)
        return (bits & 0x007F_FFFF) - 0x0040_0000
    }
}
