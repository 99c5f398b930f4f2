/// Activations quantized on the fly for the integer kernels: blocks of 32 values, one
/// Float scale per block, int8 values. Every backend runs this same code, so the
/// quantized activations (and everything downstream) agree bit for bit.
///
///   amax = max |x| over the block,  d = amax / 127,  q = round(x / d)  (half away from zero)
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
                values[base + j] = Int8(clamping: Int32((x[base + j] * id).rounded(.toNearestOrAwayFromZero)))
            }
            scales[b] = d
            b += 1
        }
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
