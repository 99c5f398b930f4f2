/// One tensor as described by the GGUF header. `shape` is in ggml order: shape[0] is
/// the innermost (contiguous) dimension, so a [rows × cols] matrix has shape [cols, rows].
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

/// A parsed GGUF v2/v3 file over a read-only mapping. Tensor data is never copied:
/// `data(for:)` points into the mapping. Every count, length, offset and shape in the
/// header is checked against the file before use.
public final class GGUFFile {
    public let file: MappedFile
    public let version: UInt32
    /// Metadata in file order (keys are unique; checked at parse time).
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let tensorIndex: [String: Int]
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int

    public static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian

    public convenience init(path: String) throws(CoreError) {
        try self.init(file: try MappedFile(path: path))
    }

    public init(file: MappedFile) throws(CoreError) {
        self.file = file
        var r = GGUFByteReader(base: file.base, count: file.count)

        let magic = try r.u32("magic")
        guard magic == GGUFFile.magic else { throw .gguf(.badMagic(found: magic)) }
        version = try r.u32("version")
        guard version == 2 || version == 3 else { throw .gguf(.unsupportedVersion(found: version)) }

        let tensorCount = try r.u64("tensor_count")
        // A tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
        try GGUFFile.checkCount(tensorCount, field: "tensor_count", limit: GGUFLimits.maxTensorCount,
                                minBytesEach: 24, remaining: r.remaining)
        let kvCount = try r.u64("metadata_kv_count")
        // A key/value takes at least 8 (key length) + 4 (type) + 1 (smallest value) bytes.
        try GGUFFile.checkCount(kvCount, field: "metadata_kv_count", limit: GGUFLimits.maxMetadataCount,
                                minBytesEach: 13, remaining: r.remaining)

        var keys: [String] = []
        var meta: [String: GGUFValue] = [:]
        keys.reserveCapacity(Int(kvCount))
        for i in 0..<Int(kvCount) {
            let key = try r.string("metadata[\(i)].key")
            let rawType = try r.u32("metadata '\(key)' type")
            let value = try GGUFFile.readValue(&r, rawType: rawType, key: key, depth: 0)
            guard meta[key] == nil else { throw .gguf(.duplicateKey(key: key)) }
            meta[key] = value
            keys.append(key)
        }
        metadataKeys = keys
        metadata = meta

        var align = GGUFLimits.defaultAlignment
        if let a = meta["general.alignment"] {
            guard let v = a.asInt, v > 0, UInt64(v) <= GGUFLimits.maxAlignment, v & (v - 1) == 0 else {
                var raw: UInt64 = 0
                if case .int(let i) = a { raw = UInt64(bitPattern: i) }
                if case .uint64(let u) = a { raw = u }
                throw .gguf(.badAlignment(value: raw))
            }
            align = v
        }
        alignment = align

        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        infos.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let info = try GGUFFile.readTensorInfo(&r, position: i)
            guard index[info.name] == nil else { throw .gguf(.duplicateTensor(name: info.name)) }
            index[info.name] = infos.count
            infos.append(info)
        }

        // The data section starts at the next multiple of the alignment.
        let headerEnd = r.offset
        let padded = (headerEnd + align - 1) / align * align
        dataOffset = padded
        let dataBytes = max(0, file.count - padded)
        if !infos.isEmpty && padded > file.count {
            throw .gguf(.truncated(field: "tensor data section", offset: headerEnd,
                                   needed: padded - headerEnd, fileSize: file.count))
        }
        for info in infos {
            guard info.offset % align == 0 else {
                throw .gguf(.misalignedTensorData(tensor: info.name, offset: UInt64(info.offset), alignment: align))
            }
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= dataBytes else {
                throw .gguf(.tensorOutOfBounds(tensor: info.name, offset: UInt64(info.offset),
                                               bytes: info.byteCount, dataSectionBytes: dataBytes))
            }
        }
        // Overlapping tensors would let one weight silently alias another.
        let byOffset = infos.sorted { $0.offset < $1.offset }
        if byOffset.count > 1 {
            for i in 1..<byOffset.count where byOffset[i - 1].offset + byOffset[i - 1].byteCount > byOffset[i].offset {
                throw .gguf(.overlappingTensors(first: byOffset[i - 1].name, second: byOffset[i].name))
            }
        }
        tensors = infos
        tensorIndex = index
    }

    /// Pointer to a tensor's bytes inside the mapping (validated at parse time).
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        file.base + dataOffset + tensor.offset
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        guard let i = tensorIndex[name] else { return nil }
        return tensors[i]
    }

    // MARK: typed metadata accessors

    public func int(_ key: String) -> Int? { metadata[key]?.asInt }
    public func double(_ key: String) -> Double? { metadata[key]?.asDouble }
    public func string(_ key: String) -> String? { metadata[key]?.asString }
    public func bool(_ key: String) -> Bool? { metadata[key]?.asBool }

    public func stringArray(_ key: String) throws(CoreError) -> [String]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(.string, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of strings")) }
        var out: [String] = []
        out.reserveCapacity(values.count)
        for case .string(let s) in values { out.append(s) }
        return out
    }

    public func intArray(_ key: String) throws(CoreError) -> [Int]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(_, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of integers")) }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let i = value.asInt else { throw .gguf(.wrongValueType(key: key, expected: "an array of integers")) }
            out.append(i)
        }
        return out
    }

    public func floatArray(_ key: String) throws(CoreError) -> [Float]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(_, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of numbers")) }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let d = value.asDouble else { throw .gguf(.wrongValueType(key: key, expected: "an array of numbers")) }
            out.append(Float(d))
        }
        return out
    }

    // MARK: parsing

    static func checkCount(_ value: UInt64, field: String, limit: UInt64, minBytesEach: Int, remaining: Int) throws(CoreError) {
        guard value <= limit else { throw .gguf(.countTooLarge(field: field, value: value, limit: limit)) }
        let fits = UInt64(max(0, remaining)) / UInt64(minBytesEach)
        guard value <= fits else {
            throw .gguf(.countTooLarge(field: field, value: value, limit: fits))
        }
    }

    static func readValue(_ r: inout GGUFByteReader, rawType: UInt32, key: String, depth: Int) throws(CoreError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw .gguf(.unknownValueType(key: key, type: rawType)) }
        switch type {
        case .uint8: return .int(Int64(try r.u8(key)))
        case .int8: return .int(Int64(Int8(bitPattern: try r.u8(key))))
        case .uint16: return .int(Int64(try r.u16(key)))
        case .int16: return .int(Int64(Int16(bitPattern: try r.u16(key))))
        case .uint32: return .int(Int64(try r.u32(key)))
        case .int32: return .int(Int64(Int32(bitPattern: try r.u32(key))))
        case .uint64:
            let v = try r.u64(key)
            return v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint64(v)
        case .int64: return .int(Int64(bitPattern: try r.u64(key)))
        case .float32: return .float(Double(Float(bitPattern: try r.u32(key))))
        case .float64: return .float(Double(bitPattern: try r.u64(key)))
        case .bool:
            let b = try r.u8(key)
            guard b <= 1 else { throw .gguf(.wrongValueType(key: key, expected: "a bool (0 or 1)")) }
            return .bool(b == 1)
        case .string: return .string(try r.string(key))
        case .array:
            guard depth < GGUFLimits.maxArrayNesting else { throw .gguf(.nestedArrayTooDeep(key: key, depth: depth + 1)) }
            let rawElement = try r.u32(key + " element type")
            guard let elementType = GGUFValueType(rawValue: rawElement) else {
                throw .gguf(.unknownValueType(key: key, type: rawElement))
            }
            let count = try r.u64(key + " count")
            // Strings and arrays take at least their 8-byte length each.
            let minBytes = elementType.scalarBytes ?? (elementType == .array ? 12 : 8)
            try checkCount(count, field: key + " count", limit: GGUFLimits.maxArrayElements,
                           minBytesEach: minBytes, remaining: r.remaining)
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                values.append(try readValue(&r, rawType: rawElement, key: key, depth: depth + 1))
            }
            return .array(elementType, values)
        }
    }

    static func readTensorInfo(_ r: inout GGUFByteReader, position: Int) throws(CoreError) -> GGUFTensorInfo {
        let name = try r.string("tensor[\(position)].name")
        let nDims = try r.u32("tensor '\(name)' n_dims")
        guard nDims >= 1, Int(nDims) <= GGUFLimits.maxDimensions else {
            throw .gguf(.tooManyDimensions(tensor: name, dimensions: nDims, limit: GGUFLimits.maxDimensions))
        }
        var shape: [Int] = []
        var elements = 1
        for d in 0..<Int(nDims) {
            let dim = try r.u64("tensor '\(name)' dimension \(d)")
            guard dim >= 1, dim <= GGUFLimits.maxDimension else {
                throw .gguf(.zeroOrHugeDimension(tensor: name, index: d, value: dim))
            }
            let (p, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { throw .gguf(.shapeOverflow(tensor: name)) }
            elements = p
            shape.append(Int(dim))
        }
        let rawType = try r.u32("tensor '\(name)' type")
        guard let type = TensorType(rawValue: rawType) else { throw .gguf(.unknownTensorType(tensor: name, type: rawType)) }
        let offset = try r.u64("tensor '\(name)' offset")
        guard offset <= UInt64(Int.max) else {
            throw .gguf(.tensorOutOfBounds(tensor: name, offset: offset, bytes: 0, dataSectionBytes: 0))
        }
        guard shape[0] % type.blockSize == 0 else {
            throw .gguf(.rowNotBlockAligned(tensor: name, rowElements: shape[0], blockSize: type.blockSize))
        }
        guard let rowBytes = type.rowBytes(elements: shape[0]) else { throw .gguf(.shapeOverflow(tensor: name)) }
        let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: elements / shape[0])
        guard !overflow else { throw .gguf(.shapeOverflow(tensor: name)) }
        return GGUFTensorInfo(name: name, shape: shape, type: type, offset: Int(offset), byteCount: bytes)
    }
}
