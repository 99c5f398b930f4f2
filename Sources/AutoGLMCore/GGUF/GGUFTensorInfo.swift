/// One tensor as described by the GGUF header. `shape` is in ggml order: shape[0] is
/// the innermost (contiguous) dimension, so a [rows × cols] matrix has shape [cols, rows].
/// Only the parser makes these, after checking shape, size and placement, so the
/// computed counts below cannot overflow.
public struct GGUFTensorInfo: Equatable {
    public let name: String
    public let shape: [Int]
    public let type: TensorType
    /// Offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements in one row (the innermost dimension).
    public var rowElements: Int { shape.first ?? 1 }
    /// Number of rows: the product of every outer dimension.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}

/// A tensor whose type this runtime cannot run (a k-quant, an i-quant, an id ggml never
/// defined). Only a file opened with `acceptingUnsupportedTensorTypes` keeps them, so
/// `inspect` can list them; their bytes are never read.
public struct GGUFUnsupportedTensor: Equatable {
    public let name: String
    public let shape: [Int]
    public let typeID: UInt32
    /// Offset from the start of the data section.
    public let offset: UInt64
    /// nil when ggml's table gives no size for the type.
    public let byteCount: Int?
    /// Index among all the file's tensor infos, to list them in file order.
    public let position: Int

    /// "Q4_K (12)".
    public var typeDescription: String { GGMLType.describe(typeID) }
}

/// A tensor info as read, before its offset is checked against the data section: the
/// offset stays a UInt64 so a value above Int.max is reported, not converted. `type` is
/// nil for a type the runtime does not run; `byteCount` is then ggml's size, if known.
struct GGUFRawTensorInfo {
    let name: String
    let shape: [Int]
    let type: TensorType?
    let typeID: UInt32
    let offset: UInt64
    let byteCount: Int?

    static func read(_ r: inout GGUFByteReader, position: Int,
                     acceptingUnsupportedTypes: Bool) throws(CoreError) -> GGUFRawTensorInfo {
        let name = try r.string("tensor[\(position)].name", limit: GGUFLimits.maxTensorNameBytes)
        let nDims = try r.u32("tensor \(quoted(name)) n_dims")
        guard nDims >= 1, nDims <= UInt32(GGUFLimits.maxDimensions) else {
            throw .gguf(.tooManyDimensions(tensor: name, dimensions: nDims, limit: GGUFLimits.maxDimensions))
        }
        var shape: [Int] = []
        shape.reserveCapacity(Int(nDims))
        var elements = 1
        for d in 0..<Int(nDims) {
            let dim = try r.u64("tensor \(quoted(name)) dimension \(d)")
            guard dim >= 1, dim <= GGUFLimits.maxDimension else {
                throw .gguf(.zeroOrHugeDimension(tensor: name, index: d, value: dim))
            }
            // dim <= maxDimension (2^40), so Int(dim) cannot trap.
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { throw .gguf(.shapeOverflow(tensor: name)) }
            elements = product
            shape.append(Int(dim))
        }
        let rawType = try r.u32("tensor \(quoted(name)) type")
        let type = TensorType(rawValue: rawType)
        guard type != nil || acceptingUnsupportedTypes else {
            throw .gguf(.unknownTensorType(tensor: name, type: rawType))
        }
        let offset = try r.u64("tensor \(quoted(name)) offset")
        guard let ggml = GGMLType.withID(rawType), let blockSize = ggml.blockSize else {
            // Not sizeable: listed, never placed or read.
            return GGUFRawTensorInfo(name: name, shape: shape, type: nil, typeID: rawType, offset: offset, byteCount: nil)
        }
        // Quantized rows must fill whole blocks: a partial block has no defined layout.
        guard shape[0] % blockSize == 0 else {
            throw .gguf(.rowNotBlockAligned(tensor: name, rowElements: shape[0], blockSize: blockSize))
        }
        guard let rowBytes = ggml.bytes(elements: shape[0]) else { throw .gguf(.shapeOverflow(tensor: name)) }
        // shape[0] >= 1 and divides `elements` exactly, so this is the row count.
        let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: elements / shape[0])
        guard !overflow else { throw .gguf(.shapeOverflow(tensor: name)) }
        return GGUFRawTensorInfo(name: name, shape: shape, type: type, typeID: rawType, offset: offset, byteCount: bytes)
    }

    /// Checks alignment and that [offset, offset + byteCount) lies inside the data section.
    func checkPlacement(alignment: Int, dataSectionBytes: Int) throws(CoreError) {
        guard let byteCount else { return }
        guard offset % UInt64(alignment) == 0 else {
            throw .gguf(.misalignedTensorData(tensor: name, offset: offset, alignment: alignment))
        }
        // Summed in UInt64 (byteCount >= 0 fits): an offset near UInt64.max must not wrap.
        let (end, overflow) = offset.addingReportingOverflow(UInt64(byteCount))
        guard !overflow, end <= UInt64(dataSectionBytes) else {
            throw .gguf(.tensorOutOfBounds(tensor: name, offset: offset, bytes: byteCount,
                                           dataSectionBytes: dataSectionBytes))
        }
    }
}
