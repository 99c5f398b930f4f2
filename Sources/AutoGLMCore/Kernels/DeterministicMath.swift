/// Transcendental functions written out in plain IEEE arithmetic, so they give the same
/// bits on every machine. libm's expf differs between x86 (which may pick an FMA
/// variant at load time) and aarch64, and Embedded Swift has no libm import at all;
/// "same numbers everywhere" needs our own. Swift does not contract a*b+c into an FMA,
/// so each expression below rounds identically on x86 and aarch64.
///
/// Internally the work is done in Double and rounded once to Float, which keeps the
/// results within an ulp or so of the correctly rounded value.
public enum DeterministicMath {
    static let ln2Hi: Double = 6.93147180369123816490e-01  // ln 2, upper bits (exact in k * ln2Hi)
    static let ln2Lo: Double = 1.90821492927058770002e-10  // ln 2 − ln2Hi
    static let log2e: Double = 1.44269504088896338700e+00

    /// e^x for Float inputs. Overflows to +inf above ~88.72, flushes to 0 below ~-103.97.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        if x.isNaN { return x }
        if x > 88.8 { return .infinity }
        if x < -104 { return 0 }
        return Float(expDouble(Double(x)))
    }

    /// e^x in Double, accurate to a few ulp for |x| < 700.
    public static func expDouble(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709 { return .infinity }
        if x < -745 { return 0 }
        // x = k·ln2 + r with |r| ≤ ln2/2, then e^x = 2^k · e^r.
        let k = (x * log2e).rounded()
        let r = (x - k * ln2Hi) - k * ln2Lo
        // Taylor series of e^r to degree 13: the error at |r| = 0.347 is below 1e-17.
        var p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        return scaleByPowerOfTwo(p, Int(k))
    }

    /// Natural logarithm in Double for x > 0.
    public static func logDouble(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        // x = m · 2^e with m in [sqrt(1/2), sqrt(2)); ln x = e·ln2 + 2·atanh((m−1)/(m+1)).
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2)
        if m > 1.4142135623730951 { m *= 0.5; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        // atanh(s) = s + s^3/3 + s^5/5 + …; |s| ≤ 0.1716, 2 + 2·13 terms reach 1e-19.
        var sum = 0.0
        var term = s
        var n = 1.0
        for _ in 0..<14 {
            sum += term / n
            term *= s2
            n += 2
        }
        let ed = Double(e)
        return (ed * ln2Hi + 2 * sum) + ed * ln2Lo
    }

    /// x^y for x > 0, as e^(y·ln x).
    public static func powDouble(_ x: Double, _ y: Double) -> Double {
        expDouble(y * logDouble(x))
    }

    /// cos and sin of an angle in radians, reduced modulo 2π with a three-part constant so
    /// that angles up to about 1e6 keep ~1e-12 absolute accuracy (enough for RoPE at any
    /// context length we plan for).
    public static func cosSin(_ angle: Double) -> (cos: Double, sin: Double) {
        let twoPiA = 6.28318530717958623200e+00
        let twoPiB = 2.44929359829470635445e-16
        let invTwoPi = 0.15915494309189534561
        let n = (angle * invTwoPi).rounded()
        var r = (angle - n * twoPiA) - n * twoPiB  // r in [-π, π]
        // Fold into [-π/2, π/2] using cos(π − r) = −cos r, sin(π − r) = sin r.
        var cosSign = 1.0
        let halfPi = 1.57079632679489655800
        if r > halfPi { r = (3.14159265358979311600 - r) + 1.22464679914735317723e-16; cosSign = -1 }
        else if r < -halfPi { r = (-3.14159265358979311600 - r) - 1.22464679914735317723e-16; cosSign = -1 }
        let r2 = r * r
        // Taylor series to degree 22/23: error below 1e-17 at |r| = π/2.
        var c = 1.0
        var s = 1.0
        var cTerm = 1.0
        var sTerm = 1.0
        var k = 1.0
        for _ in 0..<11 {
            cTerm = -cTerm * r2 / ((2 * k - 1) * (2 * k))
            sTerm = -sTerm * r2 / ((2 * k) * (2 * k + 1))
            c += cTerm
            s += sTerm
            k += 1
        }
        return (cosSign * c, s * r)
    }

    /// SiLU(x) = x · sigmoid(x) = x / (1 + e^−x).
    @inline(__always)
    public static func silu(_ x: Float) -> Float {
        x / (1 + exp(-x))
    }

    /// p · 2^k without libm's scalbn, valid for the k produced by exp's range reduction.
    @inline(__always)
    static func scaleByPowerOfTwo(_ p: Double, _ k: Int) -> Double {
        var result = p
        var k = k
        // Split large |k| so each factor is a normal power of two.
        while k > 1000 { result *= Double(bitPattern: UInt64(1000 + 1023) << 52); k -= 1000 }
        while k < -1000 { result *= Double(bitPattern: UInt64(-1000 + 1023) << 52); k += 1000 }
        return result * Double(bitPattern: UInt64(k + 1023) << 52)
    }
}
