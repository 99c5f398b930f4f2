/// A GGUF file that parses but does not describe a model this runtime can run.
public enum ModelError: Error, Equatable {
    case unsupportedArchitecture(String)
    case missingMetadata(key: String)
    case invalidHyperparameter(key: String, value: Int, reason: String)
    case missingTensor(name: String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(tensor: String, type: String)
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
        case .unknownBackend(let b): return "unknown backend '\(b)' (reference, emulation, neon)"
        case .backendUnavailable(let b, let reason): return "backend '\(b)' unavailable: \(reason)"
        }
    }
}
