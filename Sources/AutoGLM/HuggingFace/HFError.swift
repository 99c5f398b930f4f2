import AutoGLMCore

/// Everything that can be wrong with a Hugging Face model folder. Each case names the
/// file or tensor, the offending value and, where there is one, the limit.
public enum HFError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    case invalidJSON(path: String, reason: String)
    case safetensorsTooSmall(path: String, bytes: Int)
    case safetensorsHeaderLength(path: String, length: UInt64, limit: Int)
    case safetensorsEntry(path: String, tensor: String, reason: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case overlappingTensors(path: String, first: String, second: String)
    case duplicateTensor(name: String, files: [String])
    case missingTensor(name: String)
    case unexpectedTensor(name: String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedArchitecture(String)
    case missingConfigKey(key: String)
    case invalidConfigValue(key: String, value: String, reason: String)
    case unsupportedTokenizer(reason: String)
    case core(CoreError)

    public var description: String {
        switch self {
        case .missingFile(let p): return "missing file \(quoted(p))"
        case .unreadableFile(let p, let r): return "cannot read \(quoted(p)): \(r)"
        case .invalidJSON(let p, let r): return "\(quoted(p)) is not valid JSON for this use: \(r)"
        case .safetensorsTooSmall(let p, let n):
            return "safetensors \(quoted(p)): \(n) bytes, less than the \(SafetensorsFile.lengthFieldBytes)-byte header length"
        case .safetensorsHeaderLength(let p, let length, let limit):
            return "safetensors \(quoted(p)): header length \(length) is over the limit \(limit) or past the end of the file"
        case .safetensorsEntry(let p, let t, let r): return "safetensors \(quoted(p)): tensor \(quoted(t)): \(r)"
        case .unsupportedDType(let p, let t, let d):
            return "safetensors \(quoted(p)): tensor \(quoted(t)) has dtype \(d) (supported: F32, F16, BF16)"
        case .overlappingTensors(let p, let a, let b): return "safetensors \(quoted(p)): tensors \(quoted(a)) and \(quoted(b)) overlap"
        case .duplicateTensor(let n, let files): return "tensor \(quoted(n)) appears in more than one file: \(files)"
        case .missingTensor(let n): return "missing tensor \(quoted(n))"
        case .unexpectedTensor(let n): return "tensor \(quoted(n)) has no GGUF counterpart for this architecture"
        case .wrongShape(let t, let e, let f): return "tensor \(quoted(t)) has shape \(f), expected \(e)"
        case .unsupportedArchitecture(let a):
            return "unsupported architecture \(quoted(a)) (supported: LlamaForCausalLM, Qwen2ForCausalLM, GlmForCausalLM, Glm4ForCausalLM)"
        case .missingConfigKey(let k): return "config.json: missing \(quoted(k))"
        case .invalidConfigValue(let k, let v, let r): return "config.json: \(quoted(k)) = \(v): \(r)"
        case .unsupportedTokenizer(let r): return "tokenizer.json: \(r)"
        case .core(let e): return e.message
        }
    }
}
