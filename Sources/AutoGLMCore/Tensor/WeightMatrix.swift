/// A weight matrix of `rows` output features × `cols` input features, stored row-major in
/// the mapped file (GGUF shape [cols, rows]). Never copied: `data` points into the mapping.
///
/// INT8 (`.int8`) matrices also carry one scale per row and, when asymmetric, one zero
/// point per row (docs/int8-format.md): w[r, c] = rowScales[r] · (q[r, c] − zeroPoints[r]).
public struct WeightMatrix {
    public let name: String
    public let type: TensorType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer
    /// [rows] F32, present exactly when `type == .int8`.
    public let rowScales: UnsafePointer<Float>?
    /// [rows] int8; nil for symmetric INT8 (zero point 0) and for every other type.
    public let zeroPoints: UnsafePointer<Int8>?
    /// Q8_0 and INT8: the first rows / 16 groups of rows repacked for the x86 VNNI kernels
    /// (InterleavedWeights), or nil. `data` stays valid for everything else (and the tail rows).
    public var packed: UnsafeRawPointer? = nil

    public init(name: String, type: TensorType, rows: Int, cols: Int, data: UnsafeRawPointer,
                rowScales: UnsafePointer<Float>? = nil, zeroPoints: UnsafePointer<Int8>? = nil) {
        precondition((type == .int8) == (rowScales != nil), "an INT8 matrix needs its row scales, and only it has them")
        precondition(zeroPoints == nil || type == .int8, "only INT8 matrices have zero points")
        self.name = name
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = type.rowBytes(elements: cols)!
        self.data = data
        self.rowScales = rowScales
        self.zeroPoints = zeroPoints
    }

    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    /// Bytes of the matrix data itself.
    public var byteCount: Int { rows * rowBytes }

    /// Bytes the kernels read for this matrix: the data plus INT8's scales and zero points.
    public var residentBytes: Int {
        byteCount + (rowScales == nil ? 0 : rows * 4) + (zeroPoints == nil ? 0 : rows)
    }

    /// Row `r`'s zero point (0 when symmetric).
    @inline(__always)
    public func zeroPoint(_ r: Int) -> Int32 { zeroPoints.map { Int32($0[r]) } ?? 0 }

    /// Writes row `r` as Float into `out[0..<cols]` (exact for every type: the stored
    /// values are what the file means).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        if type == .int8 {
            dequantizeInt8(row(r).assumingMemoryBound(to: Int8.self), count: cols,
                           scale: rowScales![r], zeroPoint: zeroPoint(r), into: out)
        } else {
            dequantize(type: type, row(r), count: cols, into: out)
        }
    }
}

/// One INT8 row back to Float: w = scale · Float(q − zero). q − zero is an exact integer
/// in [-255, 255], so the only rounding is the one multiplication.
public func dequantizeInt8(_ q: UnsafePointer<Int8>, count: Int, scale: Float, zeroPoint: Int32,
                           into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count { out[i] = scale * Float(Int32(q[i]) - zeroPoint) }
}

/// Dequantizes `count` elements of `type` starting at `src`. INT8 needs its row scale:
/// use WeightMatrix.dequantizeRow or dequantizeInt8 for it.
public func dequantize(type: TensorType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    switch type {
    case .f32:
        for i in 0..<count { out[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
    case .f16:
        for i in 0..<count { out[i] = HalfFloat.toFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .bf16:
        for i in 0..<count { out[i] = HalfFloat.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .int8:
        preconditionFailure("dequantize: INT8 data has no meaning without its row scales (use WeightMatrix.dequantizeRow)")
    case .q8_0:
        for b in 0..<(count / 32) {
            let block = src + b * 34
            let d = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            for j in 0..<32 {
                out[b * 32 + j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d
            }
        }
    case .q4_1, .q5_0, .q5_1:
        LegacyQuantBlock.dequantize(type, src, count: count, into: out)
    case .q2_k, .q3_k, .q4_k, .q5_k, .q6_k:
        KQuantBlock.dequantize(type, src, count: count, into: out)
    case .q4_0:
        for b in 0..<(count / 32) {
            let block = src + b * 18
            let d = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                out[b * 32 + j] = Float(Int(byte & 0x0F) - 8) * d
                out[b * 32 + j + 16] = Float(Int(byte >> 4) - 8) * d
            }
        }
    }
}
