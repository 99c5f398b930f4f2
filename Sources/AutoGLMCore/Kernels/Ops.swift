import CAutoGLMKernels

/// Elementwise and per-row operations of the forward pass. Cheap next to the matmuls, so
/// every backend runs this one scalar version: the numbers are the same by construction.
public enum Ops {
    /// out = x / sqrt(mean(x²) + eps) · weight, over `count` elements.
    @inline(__always)
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, eps: Float,
                               out: UnsafeMutablePointer<Float>) {
        let scale = rmsScale(x, count: count, eps: eps)
        for i in 0..<count { out[i] = weight[i] * (x[i] * scale) }
    }

    /// 1 / sqrt(mean(x²) + eps): RMSNorm's factor, summed in index order. Shared with
    /// ActivationQuantization.rmsNormQuantizeRow so both norms are the same bits.
    @inline(__always)
    static func rmsScale(_ x: UnsafePointer<Float>, count: Int, eps: Float) -> Float {
        var sumSquares: Float = 0
        for i in 0..<count { sumSquares += x[i] * x[i] }
        return 1 / (sumSquares / Float(count) + eps).squareRoot()
    }

    /// x += y over `count` elements (residual connections).
    @inline(__always)
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// out = silu(gate) · up, the SwiGLU activation. On a kernel path with a SwiGLU kernel
    /// (x86 AVX2, AVX-512) the same IEEE steps run 8 lanes at a time in C (bit-identical;
    /// KernelTests check it); the scalar path, which the reference backend always has,
    /// keeps this loop.
    @inline(__always)
    public static func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int, out: UnsafeMutablePointer<Float>,
                              path: KernelPath = .scalar) {
        if aglm_swiglu(path.rawValue, gate, up, Int64(count), out) != 0 { return }
        for i in 0..<count { out[i] = DeterministicMath.silu(gate[i]) * up[i] }
    }

    /// In-place softmax over `count` scores. On the avx512vnni path the exps run 8 lanes at a
    /// time in C, the same bits (AttentionKernelTests check it); other paths, and the
    /// reference backend's scalar path, run the Swift loop.
    @inline(__always)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int, path: KernelPath = .scalar) {
        if aglm_softmax(path.rawValue, x, Int64(count)) != 0 { return }
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, x[i]) }
        var sum: Float = 0
        for i in 0..<count {
            x[i] = DeterministicMath.exp(x[i] - maxValue)
            sum += x[i]
        }
        for i in 0..<count { x[i] /= sum }
    }
}
