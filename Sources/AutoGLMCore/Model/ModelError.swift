/// A GGUF file that parses but does not describe a model this runtime can run.
public enum ModelError: Error, Equatable {
    case unsupportedArchitecture(String)
    case missingMetadata(key: String)
    case invalidHyperparameter(key: String, value: Int, reason: String)
    case missingTensor(name: String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(tensor: String, type: String)
    case rowLengthNotMultiple(tensor: String, rowElements: Int, multiple: Int)
    case int8FormatVersion(tensor: String, found: String, supported: Int)
    case invalidScale(tensor: String, row: Int, bits: UInt32)
    case nonFiniteBlockScale(tensor: String, type: String, block: Int, bits: UInt16)
    case unknownBackend(String)
    case backendUnavailable(backend: String, reason: String)

    public var message: String {
        switch self {
        case .unsupportedArchitecture(let a):
            return "unsupported architecture '\(a)' (supported: llama, qwen2, chatglm, glm4)"
        case .missingMetadata(let key): return "missing metadata key '\(key)'"
        case .invalidHyperparameter(let key, let value, let reason): return "\(key) = \(value): \(reason)"
        case .missingTensor(let name): return "missing tensor '\(name)'"
        case .wrongShape(let t, let expected, let found):
            return "tensor '\(t)' has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let t, let type): return "tensor '\(t)' has type \(type), which this runtime cannot use there"
        case .rowLengthNotMultiple(let t, let n, let m):
            return "tensor '\(t)' has rows of \(n) elements, not a multiple of \(m)"
        case .int8FormatVersion(let t, let found, let supported):
            return "tensor '\(t)' is I8 but the file's autoglm.int8.version is \(found) (this runtime reads \(supported))"
        case .invalidScale(let t, let row, let bits):
            return "tensor '\(t)' row \(row): scale \(formatDouble(Double(Float(bitPattern: bits)))) is not a finite value ≥ 0"
        case .nonFiniteBlockScale(let t, let type, let block, let bits):
            let value = bits & 0x3FF == 0 ? (bits & 0x8000 == 0 ? "+inf" : "-inf") : "NaN"
            return "tensor '\(t)' (\(type)) block \(block): scale is \(value) (f16 0x\(hex(UInt64(bits)))); the file is damaged"
        case .unknownBackend(let b): return "unknown backend '\(b)' (reference, emulation, neon)"
        case .backendUnavailable(let b, let reason): return "backend '\(b)' unavailable: \(reason)"
        }
    }
}
