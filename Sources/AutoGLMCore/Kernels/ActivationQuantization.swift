/// Activations quantized on the fly for the integer kernels: blocks of 32 values, one
/// Float scale per block, int8 values. Every backend runs this same code, so the
/// quantized activations (and everything downstream) agree bit for bit.
///
///   amax = max |x| over the block (NaN ignored),  d = amax / 127,  q = round(x · (1/d))
///   (half away from zero, saturated to int8; non-finite products give −128, see roundedToInt32)
///
/// The scale stays Float (llama.cpp rounds it to f16); that keeps activation error below
/// half a step of 1/127 of the block's largest magnitude.
public enum ActivationQuantization {
    public static let blockSize = 32

    /// Quantizes `count` (a multiple of 32) floats into `values` and `scales`.
    @inline(__always)
    public static func quantizeRow(_ x: UnsafePointer<Float>, count: Int,
                                   values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        var b = 0
        while b < count / blockSize {
            let base = b * blockSize
            var amax: Float = 0
            for j in 0..<blockSize { amax = max(amax, abs(x[base + j])) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            for j in 0..<blockSize {
                values[base + j] = Int8(clamping: roundedToInt32(x[base + j] * id))
            }
            scales[b] = d
            b += 1
        }
    }

    /// RMSNorm fused with quantizeRow: the normed row goes straight into `values` and
    /// `scales` without being written out as floats. Each normed value
    /// n_i = weight_i · (x_i · s) (Ops.rmsNorm's two products, s from Ops.rmsScale) is
    /// computed once for its block's amax and again for its quantization — cheaper than
    /// storing and rereading it, and the same bits — so the result equals
    /// Ops.rmsNorm followed by quantizeRow bit for bit.
    @inline(__always)
    public static func rmsNormQuantizeRow(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, eps: Float,
                                          values: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        let s = Ops.rmsScale(x, count: count, eps: eps)
        var b = 0
        while b < count / blockSize {
            let base = b * blockSize
            var amax: Float = 0
            for j in 0..<blockSize { amax = max(amax, abs(weight[base + j] * (x[base + j] * s))) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            for j in 0..<blockSize {
                values[base + j] = Int8(clamping: roundedToInt32(weight[base + j] * (x[base + j] * s) * id))
            }
            scales[b] = d
            b += 1
        }
    }

    /// round(v) half away from zero as Int32; a value with no Int32 (NaN, ±infinity, beyond
    /// ±2³¹ — what a NaN or infinite activation, or a block so tiny that 1/d overflows,
    /// produces) becomes Int32.min, which is what x86's conversion instructions return.
    /// Defined here rather than trapping, so bad activations from a damaged model give
    /// garbage numbers on every backend alike instead of a crash.
    @inline(__always)
    static func roundedToInt32(_ v: Float) -> Int32 {
        let r = v.rounded(.toNearestOrAwayFromZero)
        guard r >= -2147483648, r < 2147483648 else { return Int32.min }  // false for NaN too
        return Int32(r)
    }

    /// sums[b] = Σ values[32b ..< 32b+32], exact: the repacked VNNI kernels store weights
    /// offset by +128 and take 128 · sums[b] back off each block's integer dot product.
    @inline(__always)
    public static func blockSums(_ values: UnsafePointer<Int8>, count: Int, sums: UnsafeMutablePointer<Int32>) {
        for b in 0..<(count / blockSize) {
            var sum: Int32 = 0
            for j in 0..<blockSize { sum &+= Int32(values[b * blockSize + j]) }
            sums[b] = sum
        }
    }
}
