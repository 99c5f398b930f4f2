/// A histogram of |x| over [0, upper] in `binCount` equal bins, built in one pass over
/// data whose range is not known in advance: `upper` is a power of two that doubles
/// (merging adjacent bin pairs, which is exact) whenever a larger value arrives. So a
/// bin is never more than twice as wide as the data's maximum needs, and the result
/// does not depend on how the data is split into batches beyond which power of two the
/// first batch starts from.
public struct AbsoluteValueHistogram: Sendable {
    public static let defaultBinCount = 4096

    public let binCount: Int
    public private(set) var upper: Double = 0
    public private(set) var counts: [Double]
    public private(set) var total: Double = 0

    public init(binCount: Int = AbsoluteValueHistogram.defaultBinCount) {
        precondition(binCount >= 2 && binCount % 2 == 0, "bin count must be even")
        self.binCount = binCount
        counts = [Double](repeating: 0, count: binCount)
    }

    public var binWidth: Double { upper / Double(binCount) }

    /// Adds |v| for every v in `values` (all finite).
    public mutating func add(_ values: UnsafeBufferPointer<Float>, absoluteMax: Double) {
        grow(toCover: absoluteMax)
        guard upper > 0 else {
            counts[0] += Double(values.count)  // all zeros so far
            total += Double(values.count)
            return
        }
        let scale = Double(binCount) / upper
        let last = binCount - 1
        for v in values {
            counts[min(last, Int(Double(abs(v)) * scale))] += 1
        }
        total += Double(values.count)
    }

    private mutating func grow(toCover m: Double) {
        guard m > upper else { return }
        if upper == 0 {
            // The smallest power of two ≥ m: exponent of m, plus one unless m is one.
            let e = m.exponent
            // Values added before (all zeros) stay in bin 0.
            upper = m == Double(sign: .plus, exponent: e, significand: 1) ? m : Double(sign: .plus, exponent: e + 1, significand: 1)
            return
        }
        while upper < m {
            for i in 0..<(binCount / 2) { counts[i] = counts[2 * i] + counts[2 * i + 1] }
            for i in (binCount / 2)..<binCount { counts[i] = 0 }
            upper *= 2
        }
    }

    /// The p-th percentile (0…100) of |x| with numpy's default (linear) definition:
    /// rank r = p/100 · (N − 1), interpolated between order statistics ⌊r⌋ and ⌈r⌉. Each
    /// order statistic is read from its bin assuming the bin's values spread evenly, so
    /// the result is within one bin width of the exact value.
    public func percentile(_ p: Double) -> Double {
        guard total > 0 else { return 0 }
        let rank = p / 100 * (total - 1)
        let lower = rank.rounded(.down)
        let a = orderStatistic(lower), b = orderStatistic(min(total - 1, lower + 1))
        return a + (rank - lower) * (b - a)
    }

    /// The k-th smallest |x| (0-based): the bin holding it, and within the bin the
    /// midpoint of its share, (k − before + ½) / count of the way up.
    func orderStatistic(_ k: Double) -> Double {
        var before = 0.0
        for i in 0..<binCount where counts[i] > 0 {
            if before + counts[i] > k {
                return (Double(i) + (k - before + 0.5) / counts[i]) * binWidth
            }
            before += counts[i]
        }
        return upper
    }

    /// Index one past the last non-empty bin.
    var occupiedBins: Int {
        var n = binCount
        while n > 0 && counts[n - 1] == 0 { n -= 1 }
        return n
    }

    /// Mean squared error of symmetric int8 quantization (scale T/127, round to nearest,
    /// clamp to ±127) with clipping threshold T, over the histogram, assuming values
    /// spread evenly inside each bin. T must be a bin edge.
    public func expectedSquaredError(clip T: Double) -> Double {
        guard total > 0, T > 0 else { return 0 }
        let s = T / Double(SymmetricInt8.maxLevel)
        let w = binWidth
        var sum = 0.0
        for i in 0..<occupiedBins where counts[i] > 0 {
            let a = Double(i) * w, b = a + w
            let mean: Double
            if b <= T * (1 + 1e-12) {
                mean = s * s * (Self.roundingErrorIntegral(b / s) - Self.roundingErrorIntegral(a / s)) / ((b - a) / s)
            } else {
                // Clipped: every value becomes T.
                let lo = a - T, hi = b - T
                mean = (hi * hi * hi - lo * lo * lo) / (3 * (b - a))
            }
            sum += counts[i] * mean
        }
        return sum / total
    }

    /// ∫₀ᵘ (t − round(t))² dt: each whole period contributes 1/12, and on the current
    /// one, centred on n = round(u), the integral of (t − n)² from n − 1/2 to u.
    static func roundingErrorIntegral(_ u: Double) -> Double {
        let n = (u + 0.5).rounded(.down)
        let r = u - n
        return n / 12 + (r * r * r + 0.125) / 3 - 1.0 / 24
    }

    /// The clipping threshold T, among the bin edges, that minimises
    /// `expectedSquaredError`: clip the rare large values so the scale resolves the many
    /// small ones. nil when every value is zero.
    public func mseOptimalClip() -> (clip: Double, error: Double)? {
        let n = occupiedBins
        guard total > 0, n > 0, upper > 0 else { return nil }
        var best: (clip: Double, error: Double)? = nil
        for k in 1...n {
            let T = Double(k) * binWidth
            let e = expectedSquaredError(clip: T)
            if best == nil || e < best!.error { best = (T, e) }
        }
        return best
    }
}

/// Symmetric int8 as static activation quantization uses it: levels −127…127 (−128 is
/// left out so the range is symmetric), x ≈ q · scale with scale = clip / 127.
public enum SymmetricInt8 {
    public static let maxLevel = 127
}
