/// Running statistics of one activation site (all values ever observed there): exact
/// min, max and count, plus the |x| histogram the percentile and the MSE-optimal
/// clipping threshold are read from.
public struct ActivationStatistics: Sendable {
    public private(set) var count = 0
    public private(set) var rows = 0
    public private(set) var min = Float.infinity
    public private(set) var max = -Float.infinity
    public private(set) var histogram: AbsoluteValueHistogram

    public init(binCount: Int = AbsoluteValueHistogram.defaultBinCount) {
        histogram = AbsoluteValueHistogram(binCount: binCount)
    }

    /// Adds `tokens` rows of `width` values, row t starting at values[t·stride].
    public mutating func add(values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int) {
        for t in 0..<tokens {
            let row = UnsafeBufferPointer(start: values + t * stride, count: width)
            var lo = min, hi = max
            for v in row {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            min = lo
            max = hi
            histogram.add(row, absoluteMax: Double(Swift.max(abs(lo), abs(hi))))
            count += width
            rows += 1
        }
    }

    public var absoluteMax: Float { count == 0 ? 0 : Swift.max(abs(min), abs(max)) }

    /// The summary a calibration file records for this site.
    public func summary(percentile p: Double) -> ActivationSummary {
        let optimal = histogram.mseOptimalClip()
        // A site that only ever saw zeros still needs a usable scale: clip at 1.
        let clip = optimal?.clip ?? ActivationSummary.clipWhenAllZero
        return ActivationSummary(count: count, rows: rows, min: count == 0 ? 0 : min, max: count == 0 ? 0 : max,
                                 absoluteMax: absoluteMax, percentile: p, percentileAbs: histogram.percentile(p),
                                 mseClip: clip, mseClipError: optimal?.error ?? 0,
                                 activationScale: clip / Double(SymmetricInt8.maxLevel))
    }
}

/// What `autoglm calibrate` writes per site (see Calibration for the file).
public struct ActivationSummary: Codable, Equatable, Sendable {
    public static let clipWhenAllZero = 1.0

    public var count: Int
    public var rows: Int
    public var min: Float
    public var max: Float
    public var absoluteMax: Float
    public var percentile: Double
    public var percentileAbs: Double
    public var mseClip: Double
    public var mseClipError: Double
    public var activationScale: Double

    enum CodingKeys: String, CodingKey {
        case count, rows, min, max, percentile
        case absoluteMax = "abs_max"
        case percentileAbs = "percentile_abs"
        case mseClip = "mse_clip"
        case mseClipError = "mse_clip_error"
        case activationScale = "activation_scale"
    }
}
