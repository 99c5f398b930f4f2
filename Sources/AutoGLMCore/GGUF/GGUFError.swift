/// Everything that can be wrong with a GGUF file. Each case names the field and the
/// offending value, and the limit where there is one.
public enum GGUFError: Error, Equatable {
    case truncated(field: String, offset: Int, needed: Int, fileSize: Int)
    case badMagic(found: UInt32)
    case unsupportedVersion(found: UInt32)
    case countTooLarge(field: String, value: UInt64, limit: UInt64)
    case unknownValueType(key: String, type: UInt32)
    case nestedArrayTooDeep(key: String, depth: Int)
    case duplicateKey(key: String)
    case wrongValueType(key: String, expected: String)
    case badAlignment(value: UInt64)
    case tooManyDimensions(tensor: String, dimensions: UInt32, limit: Int)
    case zeroOrHugeDimension(tensor: String, index: Int, value: UInt64)
    case shapeOverflow(tensor: String)
    case unknownTensorType(tensor: String, type: UInt32)
    case rowNotBlockAligned(tensor: String, rowElements: Int, blockSize: Int)
    case misalignedTensorData(tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(tensor: String, offset: UInt64, bytes: Int, dataSectionBytes: Int)
    case overlappingTensors(first: String, second: String)
    case duplicateTensor(name: String)

    public var message: String {
        switch self {
        case .truncated(let field, let offset, let needed, let size):
            return "file truncated reading \(field): needs \(needed) bytes at offset \(offset), file has \(size)"
        case .badMagic(let found):
            return "not a GGUF file: magic 0x\(hex(UInt64(found))) (expected 0x46554747 'GGUF')"
        case .unsupportedVersion(let v):
            // A big-endian GGUF's version reads byte-swapped on a little-endian host.
            let swapped = v.byteSwapped
            let hint = swapped == 2 || swapped == 3 ? "; this looks like a big-endian file" : ""
            return "unsupported GGUF version \(v) (supported: 2, 3\(hint))"
        case .countTooLarge(let field, let value, let limit):
            return "\(field) is \(value), over the limit \(limit)"
        case .unknownValueType(let key, let type):
            return "metadata '\(key)' has unknown value type \(type)"
        case .nestedArrayTooDeep(let key, let depth):
            return "metadata '\(key)' nests arrays \(depth) deep"
        case .duplicateKey(let key):
            return "metadata key '\(key)' appears twice"
        case .wrongValueType(let key, let expected):
            return "metadata '\(key)' is not \(expected)"
        case .badAlignment(let value):
            return "general.alignment \(value) is not a power of two between 1 and 65536"
        case .tooManyDimensions(let t, let d, let limit):
            return "tensor '\(t)' has \(d) dimensions (supported: 1 to \(limit))"
        case .zeroOrHugeDimension(let t, let i, let v):
            return "tensor '\(t)' dimension \(i) is \(v) (supported: 1 to \(GGUFLimits.maxDimension))"
        case .shapeOverflow(let t):
            return "tensor '\(t)' shape's element or byte count overflows"
        case .unknownTensorType(let t, let type):
            return "tensor '\(t)' has unsupported type \(GGMLTypeNames.describe(type)) (supported: \(GGMLTypeNames.supportedList))"
        case .rowNotBlockAligned(let t, let n, let b):
            return "tensor '\(t)' rows have \(n) elements, not a multiple of the block size \(b)"
        case .misalignedTensorData(let t, let off, let a):
            return "tensor '\(t)' data offset \(off) is not a multiple of the alignment \(a)"
        case .tensorOutOfBounds(let t, let off, let bytes, let size):
            return "tensor '\(t)' data [\(off), +\(bytes)) lies past the end of the data section (\(size) bytes)"
        case .overlappingTensors(let a, let b):
            return "tensors '\(a)' and '\(b)' overlap"
        case .duplicateTensor(let name):
            return "tensor '\(name)' appears twice"
        }
    }
}

/// Lower-case hex without a prefix; Embedded Swift has no String(format:).
func hex(_ value: UInt64) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    if value == 0 { return "0" }
    var v = value
    var out: [UInt8] = []
    while v > 0 { out.append(digits[Int(v & 15)]); v >>= 4 }
    return String(decoding: out.reversed(), as: UTF8.self)
}
