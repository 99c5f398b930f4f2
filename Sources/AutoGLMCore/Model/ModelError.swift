/// A GGUF file that parses but does not describe a model this runtime can run.
public enum ModelError: Error, Equatable {
    case unsupportedArchitecture(String)
    case missingMetadata(key: String)
    case invalidHyperparameter(key: String, value: Int, reason: String)
    case invalidFloatHyperparameter(key: String, value: Double, reason: String)
    case missingTensor(name: String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(tensor: String, type: String)
    case rowLengthNotMultiple(tensor: String, rowElements: Int, multiple: Int)
    case int8FormatVersion(tensor: String, found: String, supported: Int)
    case invalidScale(tensor: String, row: Int, bits: UInt32)
    case nonFiniteBlockScale(tensor: String, type: String, block: Int, bits: UInt16)
    case unknownBackend(String)
    case backendUnavailable(backend: String, reason: String)
    /// AUTOGLM_KERNELS names no kernel path.
    case unknownKernelPath(String)
    /// AUTOGLM_KERNELS names a path this CPU cannot run; `available` lists those it can.
    case kernelPathUnavailable(path: String, available: String)

    public var message: String {
        switch self {
        case .unsupportedArchitecture(let a):
            return "unsupported architecture \(quoted(a)) (supported: llama, qwen2, chatglm, glm4)"
        case .missingMetadata(let key): return "missing metadata key \(quoted(key))"
        case .invalidHyperparameter(let key, let value, let reason): return "\(quoted(key)) = \(value): \(reason)"
        case .invalidFloatHyperparameter(let key, let value, let reason):
            return "\(quoted(key)) = \(formatFloatHyperparameter(value)): \(reason)"
        case .missingTensor(let name): return "missing tensor \(quoted(name))"
        case .wrongShape(let t, let expected, let found):
            return "tensor \(quoted(t)) has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let t, let type): return "tensor \(quoted(t)) has type \(type), which this runtime cannot use there"
        case .rowLengthNotMultiple(let t, let n, let m):
            return "tensor \(quoted(t)) has rows of \(n) elements, not a multiple of \(m)"
        case .int8FormatVersion(let t, let found, let supported):
            return "tensor \(quoted(t)) is I8 but the file's autoglm.int8.version is \(found) (this runtime reads \(supported))"
        case .invalidScale(let t, let row, let bits):
            return "tensor \(quoted(t)) row \(row): scale \(formatDouble(Double(Float(bitPattern: bits)))) is not a finite value ≥ 0"
        case .nonFiniteBlockScale(let t, let type, let block, let bits):
            let value = bits & 0x3FF == 0 ? (bits & 0x8000 == 0 ? "+inf" : "-inf") : "NaN"
            return "tensor \(quoted(t)) (\(type)) block \(block): scale is \(value) (f16 0x\(hex(UInt64(bits)))); the file is damaged"
        case .unknownBackend(let b): return "unknown backend \(quoted(b)) (reference, emulation, neon)"
        case .backendUnavailable(let b, let reason): return "backend \(quoted(b)) unavailable: \(reason)"
        case .unknownKernelPath(let p):
            return "unknown kernel path \(quoted(p)) in AUTOGLM_KERNELS (scalar, avx2, avx512vnni or avx512, neon, neon-dotprod, neon-i8mm)"
        case .kernelPathUnavailable(let p, let available):
            return "kernel path \(quoted(p)) (AUTOGLM_KERNELS) needs instructions this CPU lacks; it runs: \(available)"
        }
    }
}

/// Six fraction digits show a norm epsilon (1e-6) as 0.000001 but 1e-30 as 0; such values
/// are shown in scientific form so the message does not claim the file holds 0.
func formatFloatHyperparameter(_ v: Double) -> String {
    guard v.isFinite, v != 0, v.magnitude < 1e-4 else { return formatDouble(v) }
    var m = v.magnitude
    var exp = 0
    while m < 1 { m *= 10; exp -= 1 }
    return (v < 0 ? "-" : "") + formatDouble(m, fractionDigits: 3) + "e\(exp)"
}
