/// The vector kernels behind `emulation` (x86) and `neon` (aarch64): the arithmetic of
/// ReferenceDot, written with SIMD types so LLVM maps it onto the machine's vector unit
/// (SDOT with -target-cpu cortex-a78). Integer sums are exact in any order; the float
/// accumulation follows ReferenceDot's lane layout and reduction tree exactly.
public enum VectorDot {
    @inline(__always)
    static func reduce(_ acc: SIMD8<Float>) -> Float {
        // ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))
        let half = acc.lowHalf + acc.highHalf
        let quarter = half.lowHalf + half.highHalf
        return quarter[0] + quarter[1]
    }

    @inline(__always)
    static func load8(_ type: TensorType, _ w: UnsafeRawPointer, at i: Int) -> SIMD8<Float> {
        switch type {
        case .f32:
            return w.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        case .f16:
            let h = w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            return SIMD8<Float>(HalfFloat.toFloat(h[0]), HalfFloat.toFloat(h[1]), HalfFloat.toFloat(h[2]), HalfFloat.toFloat(h[3]),
                                HalfFloat.toFloat(h[4]), HalfFloat.toFloat(h[5]), HalfFloat.toFloat(h[6]), HalfFloat.toFloat(h[7]))
        default:
            let h = w.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD8<Float>.self)
        }
    }

    public static func floatWeights(_ type: TensorType, _ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        let xr = UnsafeRawPointer(x)
        while i + 8 <= count {
            let wv = load8(type, w, at: i)
            let xv = xr.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            acc = acc + wv * xv
            i += 8
        }
        if i < count {
            // Tail elements land in lanes 0..<(count − i), exactly as in ReferenceDot.
            var lane = 0
            while i < count {
                let wi: Float
                switch type {
                case .f32: wi = w.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
                case .f16: wi = HalfFloat.toFloat(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                default: wi = HalfFloat.bf16ToFloat(w.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
                acc[lane] = acc[lane] + wi * x[i]
                lane += 1
                i += 1
            }
        }
        return reduce(acc)
    }

    /// Σ a[j]·b[j] over 32 int8 pairs. A plain loop on purpose: LLVM turns it into SDOT
    /// for cortex-a78 and into vpmaddwd on x86, while the same sum written with
    /// SIMD32<Int8> widening compiles to out-of-line conversions (Toolchains/README.md).
    @inline(__always)
    static func dotInt8x32(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> Int32 {
        var sum: Int32 = 0
        for j in 0..<32 { sum &+= Int32(a[j]) &* Int32(b[j]) }
        return sum
    }

    /// Σ a[j] over 32 int8 values: a plain loop for the same reason as dotInt8x32.
    @inline(__always)
    static func sumInt8x32(_ a: UnsafePointer<Int8>) -> Int32 {
        var sum: Int32 = 0
        for j in 0..<32 { sum &+= Int32(a[j]) }
        return sum
    }

    /// ReferenceDot.int8's arithmetic. The symmetric case skips Σq_a: z·Σq_a is then 0,
    /// so S_b and everything after it are the same bits.
    public static func int8(_ w: UnsafePointer<Int8>, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int,
                            scale: Float, zeroPoint: Int32) -> Float {
        var acc: Float = 0
        if zeroPoint == 0 {
            for b in 0..<(count / 32) {
                acc += Float(dotInt8x32(w + b * 32, xq + b * 32)) * xd[b]
            }
        } else {
            for b in 0..<(count / 32) {
                let sum = dotInt8x32(w + b * 32, xq + b * 32) &- zeroPoint &* sumInt8x32(xq + b * 32)
                acc += Float(sum) * xd[b]
            }
        }
        return acc * scale
    }

    public static func q8_0(_ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int) -> Float {
        var acc: Float = 0
        for b in 0..<(count / 32) {
            let block = w + b * 34
            let wd = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            let wq = (block + 2).assumingMemoryBound(to: Int8.self)
            acc += Float(dotInt8x32(wq, xq + b * 32)) * (wd * xd[b])
        }
        return acc
    }

    /// Q4_0 has no vector form of its own yet: both backends run ReferenceDot's loop (the
    /// plain-loop shape LLVM can vectorize). A tuned kernel belongs to the fast-kernels work.
    @inline(__always)
    public static func q4_0(_ w: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, count: Int) -> Float {
        ReferenceDot.q4_0(w, xq, xd, count: count)
    }
}
