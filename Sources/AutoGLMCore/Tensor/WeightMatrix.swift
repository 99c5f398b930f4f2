/// A weight matrix of `rows` output features × `cols` input features, stored row-major in
/// the mapped file (GGUF shape [cols, rows]). Never copied: `data` points into the mapping.
public struct WeightMatrix {
    public let name: String
    public let type: TensorType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer
    /// Q8_0 only: the first rows / 16 groups of rows repacked for the x86 VNNI kernels
    /// (Q8Repacking), or nil. `data` stays valid for everything else (and the tail rows).
    public var packed: UnsafeRawPointer? = nil

    public init(name: String, type: TensorType, rows: Int, cols: Int, data: UnsafeRawPointer) {
        self.name = name
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = type.rowBytes(elements: cols)!
        self.data = data
    }

    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    public var byteCount: Int { rows * rowBytes }

    /// Writes row `r` as Float into `out[0..<cols]` (exact for every type: the stored
    /// values are what the file means).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        dequantize(type: type, row(r), count: cols, into: out)
    }
}

/// Dequantizes `count` elements of `type` starting at `src`.
public func dequantize(type: TensorType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    switch type {
    case .f32:
        for i in 0..<count { out[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
    case .f16:
        for i in 0..<count { out[i] = HalfFloat.toFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .bf16:
        for i in 0..<count { out[i] = HalfFloat.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .q8_0:
        for b in 0..<(count / 32) {
            let block = src + b * 34
            let d = HalfFloat.toFloat(block.loadUnaligned(as: UInt16.self))
            for j in 0..<32 {
                out[b * 32 + j] = Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) * d
            }
        }
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
