/// Reads one metadata value. `budget` is how many more values (array elements
/// included) the file may still declare, shared by all keys: see
/// GGUFLimits.maxMetadataValues.
struct GGUFValueReader {
    var budget = GGUFLimits.maxMetadataValues

    /// How a value's key appears in a truncation or count error (quoted: it is the file's).
    static func field(_ key: String) -> String { "metadata " + quoted(key) }

    mutating func read(_ r: inout GGUFByteReader, rawType: UInt32, key: String, depth: Int) throws(CoreError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw .gguf(.unknownValueType(key: key, type: rawType)) }
        switch type {
        case .uint8: return .int(Int64(try r.u8(Self.field(key))))
        case .int8: return .int(Int64(Int8(bitPattern: try r.u8(Self.field(key)))))
        case .uint16: return .int(Int64(try r.u16(Self.field(key))))
        case .int16: return .int(Int64(Int16(bitPattern: try r.u16(Self.field(key)))))
        case .uint32: return .int(Int64(try r.u32(Self.field(key))))
        case .int32: return .int(Int64(Int32(bitPattern: try r.u32(Self.field(key)))))
        case .uint64:
            let v = try r.u64(Self.field(key))
            return v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint64(v)
        case .int64: return .int(Int64(bitPattern: try r.u64(Self.field(key))))
        case .float32: return .float(Double(Float(bitPattern: try r.u32(Self.field(key)))))
        case .float64: return .float(Double(bitPattern: try r.u64(Self.field(key))))
        case .bool:
            let b = try r.u8(Self.field(key))
            guard b <= 1 else { throw .gguf(.wrongValueType(key: key, expected: "a bool (0 or 1), found \(b)")) }
            return .bool(b == 1)
        case .string: return .string(try r.string(Self.field(key)))
        case .array: return try readArray(&r, key: key, depth: depth)
        }
    }

    private mutating func readArray(_ r: inout GGUFByteReader, key: String, depth: Int) throws(CoreError) -> GGUFValue {
        guard depth < GGUFLimits.maxArrayNesting else { throw .gguf(.nestedArrayTooDeep(key: key, depth: depth + 1)) }
        let rawElement = try r.u32(Self.field(key) + " element type")
        guard let elementType = GGUFValueType(rawValue: rawElement) else {
            throw .gguf(.unknownValueType(key: key, type: rawElement))
        }
        let count = try r.u64(Self.field(key) + " count")
        let minBytes = elementType.scalarBytes
            ?? (elementType == .array ? GGUFLimits.minArrayBytes : GGUFLimits.minStringBytes)
        try checkCount(count, field: Self.field(key) + " count", limit: GGUFLimits.maxArrayElements,
                       minBytesEach: minBytes, remaining: r.remaining)
        // count <= maxArrayElements, so Int(count) cannot trap.
        let n = Int(count)
        guard n <= budget else {
            throw .gguf(.countTooLarge(field: "metadata values in total (at \(quoted(key)))",
                                       value: UInt64(GGUFLimits.maxMetadataValues - budget + n),
                                       limit: UInt64(GGUFLimits.maxMetadataValues)))
        }
        budget -= n
        var values: [GGUFValue] = []
        // Bounded by the bytes left (checkCount), so a lying count cannot reserve gigabytes.
        values.reserveCapacity(n)
        for _ in 0..<n {
            values.append(try read(&r, rawType: rawElement, key: key, depth: depth + 1))
        }
        return .array(elementType, values)
    }
}

/// A count must be under its hard limit and must fit in the bytes left, at
/// `minBytesEach` bytes per item; both are checked before it is converted to Int.
func checkCount(_ value: UInt64, field: String, limit: UInt64, minBytesEach: Int, remaining: Int) throws(CoreError) {
    guard value <= limit else { throw .gguf(.countTooLarge(field: field, value: value, limit: limit)) }
    let fits = UInt64(max(0, remaining)) / UInt64(minBytesEach)
    guard value <= fits else {
        throw .gguf(.countPastEndOfFile(field: field, value: value, fits: fits, remaining: remaining))
    }
}
