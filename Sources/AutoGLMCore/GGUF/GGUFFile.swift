/// A parsed GGUF v2/v3 file over a read-only mapping. Tensor data is never copied:
/// `data(for:)` points into the mapping. Every count, length, offset and shape in the
/// header is checked against the file before use; a bad file gives a GGUFError.
public final class GGUFFile {
    public let file: MappedFile
    public let version: UInt32
    /// Metadata in file order (keys are unique; checked at parse time).
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Each key's on-disk type (GGUFValue folds integer widths and float32/64), so a
    /// writer can copy metadata exactly.
    public let metadataTypes: [String: GGUFValueType]
    /// The tensors in types this runtime runs, in file order.
    public let tensors: [GGUFTensorInfo]
    public let tensorIndex: [String: Int]
    /// Tensors in other types: empty unless opened with `acceptingUnsupportedTensorTypes`
    /// (otherwise such a tensor is an error naming its type).
    public let unsupportedTensors: [GGUFUnsupportedTensor]
    public let alignment: Int
    /// Absolute offset of the tensor data section (never past the end of the file).
    public let dataOffset: Int
    /// Bytes from `dataOffset` to the end of the file; every tensor lies inside them.
    public let dataSectionBytes: Int

    public static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian
    public static let alignmentKey = "general.alignment"

    public convenience init(path: String, acceptingUnsupportedTensorTypes: Bool = false) throws(CoreError) {
        try self.init(file: try MappedFile(path: path), acceptingUnsupportedTensorTypes: acceptingUnsupportedTensorTypes)
    }

    /// `acceptingUnsupportedTensorTypes`: keep tensors of types the runtime cannot run in
    /// `unsupportedTensors` (for listing) instead of refusing the file; a model cannot be
    /// loaded from such a file, since those tensors are missing from `tensors`.
    public init(file: MappedFile, acceptingUnsupportedTensorTypes: Bool = false) throws(CoreError) {
        self.file = file
        var r = GGUFByteReader(base: file.base, count: file.count)

        let magic = try r.u32("magic")
        guard magic == GGUFFile.magic else { throw .gguf(.badMagic(found: magic)) }
        version = try r.u32("version")
        // v1 used 32-bit counts and lengths; v2 and v3 share this layout (v3 only adds big-endian files,
        // whose version reads byte-swapped here and is rejected).
        guard version == 2 || version == 3 else { throw .gguf(.unsupportedVersion(found: version)) }

        // Both counts are read before either is judged, so a file cut inside them is "truncated".
        let tensorCount = try r.u64("tensor_count")
        let kvCount = try r.u64("metadata_kv_count")
        try checkCount(tensorCount, field: "tensor_count", limit: GGUFLimits.maxTensorCount,
                       minBytesEach: GGUFLimits.minTensorInfoBytes, remaining: r.remaining)
        try checkCount(kvCount, field: "metadata_kv_count", limit: GGUFLimits.maxMetadataCount,
                       minBytesEach: GGUFLimits.minKeyValueBytes, remaining: r.remaining)

        // Both counts are now bounded by maxTensorCount / maxMetadataCount: Int() is safe.
        var keys: [String] = []
        var meta: [String: GGUFValue] = [:]
        var types: [String: GGUFValueType] = [:]
        keys.reserveCapacity(Int(kvCount))
        var values = GGUFValueReader()
        for i in 0..<Int(kvCount) {
            let key = try r.string("metadata[\(i)].key", limit: GGUFLimits.maxKeyBytes)
            let rawType = try r.u32("metadata \(quoted(key)) type")
            let value = try values.read(&r, rawType: rawType, key: key, depth: 0)
            guard meta[key] == nil else { throw .gguf(.duplicateKey(key: key)) }
            meta[key] = value
            types[key] = GGUFValueType(rawValue: rawType)
            keys.append(key)
        }
        metadataKeys = keys
        metadata = meta
        metadataTypes = types
        let align = try GGUFFile.alignment(in: meta)
        alignment = align

        var raw: [GGUFRawTensorInfo] = []
        var names: Set<String> = []
        raw.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let info = try GGUFRawTensorInfo.read(&r, position: i, acceptingUnsupportedTypes: acceptingUnsupportedTensorTypes)
            guard names.insert(info.name).inserted else { throw .gguf(.duplicateTensor(name: info.name)) }
            raw.append(info)
        }

        // The data section starts at the next multiple of the alignment. headerEnd <= file.count
        // and align <= maxAlignment, so this cannot overflow.
        let headerEnd = r.offset
        let padded = (headerEnd + align - 1) / align * align
        if padded > file.count {
            // Every tensor has at least one byte, so with tensors the padding must be there.
            // A tensor-less file (vocab only) may end right after its header: its data
            // section is then empty, and dataOffset stays inside the file.
            guard raw.isEmpty else {
                throw .gguf(.truncated(field: "padding before the tensor data section", offset: headerEnd,
                                       needed: padded - headerEnd, fileSize: file.count))
            }
            dataOffset = file.count
        } else {
            dataOffset = padded
        }
        dataSectionBytes = file.count - dataOffset

        var infos: [GGUFTensorInfo] = []
        var unsupported: [GGUFUnsupportedTensor] = []
        var index: [String: Int] = [:]
        infos.reserveCapacity(raw.count)
        for (position, info) in raw.enumerated() {
            try info.checkPlacement(alignment: align, dataSectionBytes: dataSectionBytes)
            // Placement checked: offset + byteCount lies inside the data section, so Int() is safe.
            if let type = info.type, let byteCount = info.byteCount {
                index[info.name] = infos.count
                infos.append(GGUFTensorInfo(name: info.name, shape: info.shape, type: type,
                                            offset: Int(info.offset), byteCount: byteCount))
            } else {
                unsupported.append(GGUFUnsupportedTensor(name: info.name, shape: info.shape, typeID: info.typeID,
                                                         offset: info.offset, byteCount: info.byteCount,
                                                         position: position))
            }
        }
        try GGUFFile.checkNoOverlap(raw)
        tensors = infos
        tensorIndex = index
        unsupportedTensors = unsupported
    }

    /// Pointer to a tensor's bytes inside the mapping (validated at parse time).
    public func data(for tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        // An info from another file could point anywhere; that is a caller bug, not bad input.
        precondition(tensor.offset >= 0 && tensor.byteCount <= dataSectionBytes - tensor.offset,
                     "tensor info does not belong to this GGUF file")
        return file.base + dataOffset + tensor.offset
    }

    /// A tensor's bytes inside the mapping.
    public func bytes(for tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data(for: tensor), count: tensor.byteCount)
    }

    public func tensor(named name: String) -> GGUFTensorInfo? {
        guard let i = tensorIndex[name] else { return nil }
        return tensors[i]
    }

    // MARK: header checks

    /// general.alignment, when present, must be an integer power of two in 1...maxAlignment.
    static func alignment(in meta: [String: GGUFValue]) throws(CoreError) -> Int {
        guard let a = meta[alignmentKey] else { return GGUFLimits.defaultAlignment }
        let raw: UInt64
        switch a {
        case .int(let i): raw = UInt64(bitPattern: i)
        case .uint64(let u): raw = u
        default: throw .gguf(.wrongValueType(key: alignmentKey, expected: "an integer"))
        }
        guard raw >= 1, raw <= GGUFLimits.maxAlignment, raw & (raw - 1) == 0 else {
            throw .gguf(.badAlignment(value: raw))
        }
        return Int(raw)
    }

    /// Overlapping tensors would let one weight silently alias another. Offsets and
    /// sizes are inside the data section already, so the sums cannot overflow.
    /// Unsized tensors (a type without a known layout) are never read, so they take no part.
    static func checkNoOverlap(_ infos: [GGUFRawTensorInfo]) throws(CoreError) {
        let byOffset = infos.filter { $0.byteCount != nil }.sorted { $0.offset < $1.offset }
        guard byOffset.count > 1 else { return }
        for i in 1..<byOffset.count where byOffset[i - 1].offset + UInt64(byOffset[i - 1].byteCount!) > byOffset[i].offset {
            throw .gguf(.overlappingTensors(first: byOffset[i - 1].name, second: byOffset[i].name))
        }
    }
}
