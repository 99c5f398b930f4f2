/// How per-output-channel INT8 matrices are stored in GGUF (docs/int8-format.md), so
/// that any GGUF reader can still list the file:
///
///   NAME              ggml I8 (type 24), the usual matrix shape [cols, rows]: q[r, c]
///   NAME.scale        F32 [rows]: s_r ≥ 0, finite
///   NAME.zero_point   I8 [rows]: z_r, only for asymmetric matrices (absent means 0)
///   autoglm.int8.version = 1 (u32) in the metadata
///
/// w[r, c] = s_r · (q[r, c] − z_r). Rows must be a multiple of 32 long: the kernels pair
/// them with activations quantized in blocks of 32.
public enum Int8Format {
    public static let versionKey = "autoglm.int8.version"
    /// The only layout so far; a reader refuses others rather than guess.
    public static let version = 1
    public static let scaleSuffix = ".scale"
    public static let zeroPointSuffix = ".zero_point"

    /// The INT8 matrix `companion` belongs to when it is one's scale or zero point, else nil.
    public static func owner(ofCompanion companion: GGUFTensorInfo, in gguf: GGUFFile) -> GGUFTensorInfo? {
        for suffix in [scaleSuffix, zeroPointSuffix] {
            guard let base = stripSuffix(companion.name, suffix), let owner = gguf.tensor(named: base) else { continue }
            if owner.type == .int8 { return owner }
        }
        return nil
    }

    /// The companions of INT8 matrix `t` present in `gguf`, scale first.
    public static func companions(of t: GGUFTensorInfo, in gguf: GGUFFile) -> [GGUFTensorInfo] {
        [scaleSuffix, zeroPointSuffix].compactMap { gguf.tensor(named: t.name + $0) }
    }

    /// `t` (type I8, rows × cols) with its scales and zero points, after checking
    /// everything the kernels rely on: the format version, the row length, each
    /// companion's type and length, and every scale being finite and non-negative.
    public static func matrix(_ t: GGUFTensorInfo, in gguf: GGUFFile, rows: Int, cols: Int) throws(CoreError) -> WeightMatrix {
        let found = gguf.metadata[versionKey]
        guard let v = found?.asInt, v == version else {
            throw .model(.int8FormatVersion(tensor: t.name, found: found.map { $0.summary } ?? "absent", supported: version))
        }
        guard cols % TensorType.int8.rowMultiple == 0 else {
            throw .model(.rowLengthNotMultiple(tensor: t.name, rowElements: cols, multiple: TensorType.int8.rowMultiple))
        }
        let scaleName = t.name + scaleSuffix
        guard let s = gguf.tensor(named: scaleName) else { throw .model(.missingTensor(name: scaleName)) }
        guard s.type == .f32 else { throw .model(.unsupportedTensorType(tensor: scaleName, type: s.type.name)) }
        guard s.shape == [rows] else { throw .model(.wrongShape(tensor: scaleName, expected: [rows], found: s.shape)) }
        // The data section is aligned (≥ 32 bytes, checked at parse), so Float loads are aligned.
        let scales = gguf.data(for: s).assumingMemoryBound(to: Float.self)
        for r in 0..<rows where !(scales[r].isFinite && scales[r] >= 0) {
            throw .model(.invalidScale(tensor: scaleName, row: r, bits: scales[r].bitPattern))
        }
        var zeroPoints: UnsafePointer<Int8>? = nil
        let zeroName = t.name + zeroPointSuffix
        if let z = gguf.tensor(named: zeroName) {
            guard z.type == .int8 else { throw .model(.unsupportedTensorType(tensor: zeroName, type: z.type.name)) }
            guard z.shape == [rows] else { throw .model(.wrongShape(tensor: zeroName, expected: [rows], found: z.shape)) }
            zeroPoints = gguf.data(for: z).assumingMemoryBound(to: Int8.self)
        }
        return WeightMatrix(name: t.name, type: .int8, rows: rows, cols: cols, data: gguf.data(for: t),
                            rowScales: scales, zeroPoints: zeroPoints)
    }

    static func stripSuffix(_ name: String, _ suffix: String) -> String? {
        let n = Array(name.utf8), s = Array(suffix.utf8)
        guard n.count > s.count, Array(n[(n.count - s.count)...]) == s else { return nil }
        return String(decoding: n[..<(n.count - s.count)], as: UTF8.self)
    }
}

/// Float rows → per-output-channel INT8 (the quantizer's half of docs/int8-format.md).
public enum Int8RowQuantizer {
    /// Symmetric rows map their largest |w| to ±127 (−128 stays unused, so q and −q are both codes).
    static let symmetricMax: Float = 127
    /// Asymmetric rows spread [min(w, 0), max(w, 0)] over all 256 codes: 255 steps.
    static let asymmetricSteps: Float = 255
    static let codeMin: Float = -128
    static let codeMax: Float = 127

    /// Quantizes `count` floats into `q`; returns the row's scale and zero point.
    ///
    /// Symmetric: s = amax/127, q = clamp(round(w/s), ±127), z = 0.
    /// Asymmetric: lo = min(w, 0), hi = max(w, 0), s = (hi − lo)/255,
    ///   z = clamp(round(−128 − lo/s)), q = clamp(round(w/s) + z, −128…127).
    /// round is half away from zero; division, not a reciprocal multiply, so that
    /// |w − s·(q − z)| ≤ s/2 up to float rounding. Including 0 in [lo, hi] keeps z
    /// inside int8. Non-finite weights are left out of the range: NaN becomes the zero
    /// code, ±∞ the extreme codes. An all-zero row gets s = 0 and q = 0.
    public static func quantize(_ w: UnsafePointer<Float>, count: Int, asymmetric: Bool,
                                into q: UnsafeMutablePointer<Int8>) -> (scale: Float, zeroPoint: Int8) {
        var lo: Float = 0, hi: Float = 0
        for i in 0..<count where w[i].isFinite {
            lo = min(lo, w[i])
            hi = max(hi, w[i])
        }
        let scale: Float
        var zero: Float = 0
        var minCode = -symmetricMax, maxCode = symmetricMax
        if asymmetric {
            scale = (hi - lo) / asymmetricSteps
            if scale > 0 && scale.isFinite { zero = clamp((codeMin - lo / scale).rounded(.toNearestOrAwayFromZero), codeMin, codeMax) }
            minCode = codeMin; maxCode = codeMax
        } else {
            scale = max(hi, -lo) / symmetricMax
        }
        guard scale > 0 && scale.isFinite else {
            for i in 0..<count { q[i] = 0 }
            return (scale.isFinite ? scale : 0, 0)
        }
        for i in 0..<count {
            let v = (w[i] / scale).rounded(.toNearestOrAwayFromZero)
            q[i] = v.isNaN ? Int8(zero) : Int8(clamp(v + zero, minCode, maxCode))
        }
        return (scale, Int8(zero))
    }

    @inline(__always)
    static func clamp(_ v: Float, _ lo: Float, _ hi: Float) -> Float { min(hi, max(lo, v)) }
}
