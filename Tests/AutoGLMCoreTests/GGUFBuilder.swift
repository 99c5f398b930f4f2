@testable import AutoGLMCore

/// Test-only writer of GGUF v3 bytes, so parser tests can state a file's contents
/// directly instead of depending on a fixture on disk.
struct GGUFBuilder {
    /// A metadata value with its exact on-disk type (GGUFValue folds integer widths).
    indirect enum Value {
        case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32)
        case f32(Float), bool(Bool), string(String), u64(UInt64), i64(Int64), f64(Double)
        case array(GGUFValueType, [Value])

        var type: GGUFValueType {
            switch self {
            case .u8: .uint8
            case .i8: .int8
            case .u16: .uint16
            case .i16: .int16
            case .u32: .uint32
            case .i32: .int32
            case .f32: .float32
            case .bool: .bool
            case .string: .string
            case .u64: .uint64
            case .i64: .int64
            case .f64: .float64
            case .array: .array
            }
        }
    }

    struct Tensor {
        var name: String
        var shape: [UInt64]
        var type: TensorType
        var offset: UInt64
    }

    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []
    var data: [UInt8] = []
    var alignment = 32
    var version: UInt32 = 3

    /// Adds a tensor after the existing data (aligned) and fills it with `fill`.
    mutating func addTensor(_ name: String, shape: [Int], type: TensorType, fill: UInt8 = 0) {
        while data.count % alignment != 0 { data.append(0) }
        tensors.append(Tensor(name: name, shape: shape.map(UInt64.init), type: type, offset: UInt64(data.count)))
        let rows = shape.dropFirst().reduce(1, *)
        let count = type.rowBytes(elements: shape[0])! * rows
        for i in 0..<count { data.append(fill &+ UInt8(truncatingIfNeeded: i)) }
    }

    /// Offset just past the tensor infos (before padding).
    var headerBytes: Int { header().count }

    func bytes() -> [UInt8] {
        var out = header()
        while out.count % alignment != 0 { out.append(0) }
        return out + data
    }

    func header() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(GGUFFile.magic)
        out.appendLE(version)
        out.appendLE(UInt64(tensors.count))
        out.appendLE(UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            out.appendLE(value.type.rawValue)
            out.appendValue(value)
        }
        for t in tensors {
            out.appendString(t.name)
            out.appendLE(UInt32(t.shape.count))
            for d in t.shape { out.appendLE(d) }
            out.appendLE(t.type.rawValue)
            out.appendLE(t.offset)
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        appendLE(UInt64(s.utf8.count))
        append(contentsOf: s.utf8)
    }

    mutating func appendValue(_ value: GGUFBuilder.Value) {
        switch value {
        case .u8(let v): appendLE(v)
        case .i8(let v): appendLE(v)
        case .u16(let v): appendLE(v)
        case .i16(let v): appendLE(v)
        case .u32(let v): appendLE(v)
        case .i32(let v): appendLE(v)
        case .f32(let v): appendLE(v.bitPattern)
        case .bool(let v): append(v ? 1 : 0)
        case .string(let s): appendString(s)
        case .u64(let v): appendLE(v)
        case .i64(let v): appendLE(v)
        case .f64(let v): appendLE(v.bitPattern)
        case .array(let type, let values):
            appendLE(type.rawValue)
            appendLE(UInt64(values.count))
            for v in values { appendValue(v) }
        }
    }
}

/// Parses bytes as a GGUF file held in memory.
func parseGGUF(_ bytes: [UInt8], acceptingUnsupportedTensorTypes: Bool = false) throws(CoreError) -> GGUFFile {
    let file = bytes.withUnsafeBytes { MappedFile(copying: $0) }
    return try GGUFFile(file: file, acceptingUnsupportedTensorTypes: acceptingUnsupportedTensorTypes)
}

/// The case name of a GGUF error, e.g. "truncated", as the fixture manifest spells it.
func caseName<E: Error>(_ error: E) -> String {
    let text = String(describing: error)
    return String(text.prefix { $0 != "(" })
}
