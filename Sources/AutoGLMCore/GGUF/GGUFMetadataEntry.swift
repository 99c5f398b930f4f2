/// One metadata key/value with its exact on-disk type. GGUFValue folds integer widths
/// and float32/float64 together, so copying a file needs the type beside the value.
/// For arrays `type` is `.array`; the element type travels inside the value.
public struct GGUFMetadataEntry: Equatable {
    public let key: String
    public let type: GGUFValueType
    public let value: GGUFValue

    public init(key: String, type: GGUFValueType, value: GGUFValue) {
        self.key = key
        self.type = type
        self.value = value
    }
}

extension GGUFFile {
    /// The file's metadata in file order, with on-disk types: what a writer needs to copy it.
    public var metadataEntries: [GGUFMetadataEntry] {
        var out: [GGUFMetadataEntry] = []
        out.reserveCapacity(metadataKeys.count)
        for key in metadataKeys {
            out.append(GGUFMetadataEntry(key: key, type: metadataTypes[key]!, value: metadata[key]!))
        }
        return out
    }
}

/// Serialises metadata values little-endian. A value that does not fit its declared
/// type is a caller bug made visible as an error rather than silently truncated.
struct GGUFValueEncoder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u64(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func value(_ v: GGUFValue, as type: GGUFValueType, key: String) throws(CoreError) {
        func mismatch() -> CoreError {
            .invalidArgument(name: "metadata \(quoted(key))", value: v.summary, reason: "does not fit type \(typeName(type))")
        }
        func integer(_ lo: Int64, _ hi: Int64) throws(CoreError) -> Int64 {
            guard case .int(let i) = v, i >= lo, i <= hi else { throw mismatch() }
            return i
        }
        switch type {
        case .uint8: u8(UInt8(try integer(0, Int64(UInt8.max))))
        case .int8: u8(UInt8(bitPattern: Int8(try integer(Int64(Int8.min), Int64(Int8.max)))))
        case .uint16: u16(UInt16(try integer(0, Int64(UInt16.max))))
        case .int16: u16(UInt16(bitPattern: Int16(try integer(Int64(Int16.min), Int64(Int16.max)))))
        case .uint32: u32(UInt32(try integer(0, Int64(UInt32.max))))
        case .int32: u32(UInt32(bitPattern: Int32(try integer(Int64(Int32.min), Int64(Int32.max)))))
        case .int64: u64(UInt64(bitPattern: try integer(Int64.min, Int64.max)))
        case .uint64:
            switch v {
            case .int(let i) where i >= 0: u64(UInt64(i))
            case .uint64(let u): u64(u)
            default: throw mismatch()
            }
        case .float32:
            guard case .float(let d) = v else { throw mismatch() }
            u32(Float(d).bitPattern)
        case .float64:
            guard case .float(let d) = v else { throw mismatch() }
            u64(d.bitPattern)
        case .bool:
            guard case .bool(let b) = v else { throw mismatch() }
            u8(b ? 1 : 0)
        case .string:
            guard case .string(let s) = v else { throw mismatch() }
            string(s)
        case .array:
            guard case .array(let elementType, let values) = v else { throw mismatch() }
            u32(elementType.rawValue)
            u64(UInt64(values.count))
            for element in values { try value(element, as: elementType, key: key) }
        }
    }
}
