/// Which of the two RoPE layouts a file's Q/K weights expect (llama.cpp's terms).
public enum RopeStyle: Equatable {
    /// Rotate consecutive pairs (x[2i], x[2i+1]): llama, chatglm, glm4 in GGUF.
    case normal
    /// Rotate (x[i], x[i + n_rot/2]): qwen2.
    case neox
}

/// The model families this runtime runs, by GGUF `general.architecture`.
public enum ModelFamily: Equatable {
    case llama
    case qwen2
    /// transformers' GlmForCausalLM, which llama.cpp's converter writes as `chatglm`.
    case glm
    /// transformers' Glm4ForCausalLM (adds post-attention and post-MLP norms).
    case glm4

    public init(architecture: String) throws(CoreError) {
        switch architecture {
        case "llama": self = .llama
        case "qwen2": self = .qwen2
        case "chatglm": self = .glm
        case "glm4": self = .glm4
        default: throw .model(.unsupportedArchitecture(architecture))
        }
    }
}

/// Hyperparameters read from GGUF metadata, as llama.cpp's converter writes them.
public struct ModelConfig: Equatable {
    public let architecture: String
    public let family: ModelFamily
    public let embeddingLength: Int      // d_model
    public let layerCount: Int
    public let headCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    public let feedForwardLength: Int
    public let vocabularySize: Int
    public let trainedContextLength: Int
    public let rmsEps: Float
    public let ropeBase: Double
    public let ropeDimensions: Int       // n_rot: leading dims of each head that rotate
    public let ropeStyle: RopeStyle
    /// Positions are divided by this (linear RoPE scaling); 1 when absent.
    public let ropeLinearScale: Double

    public var qDim: Int { headCount * headDim }
    public var kvDim: Int { kvHeadCount * headDim }

    public init(gguf: GGUFFile) throws(CoreError) {
        guard let arch = gguf.string("general.architecture") else {
            throw .model(.missingMetadata(key: "general.architecture"))
        }
        architecture = arch
        family = try ModelFamily(architecture: arch)

        func required(_ suffix: String) throws(CoreError) -> Int {
            let key = arch + "." + suffix
            guard let v = gguf.int(key) else { throw .model(.missingMetadata(key: key)) }
            guard v > 0, v <= ModelLimits.maxDimension else {
                throw .model(.invalidHyperparameter(key: key, value: v, reason: "must be in 1...\(ModelLimits.maxDimension)"))
            }
            return v
        }

        embeddingLength = try required("embedding_length")
        layerCount = try required("block_count")
        headCount = try required("attention.head_count")
        kvHeadCount = gguf.int(arch + ".attention.head_count_kv") ?? headCount
        feedForwardLength = try required("feed_forward_length")
        trainedContextLength = gguf.int(arch + ".context_length") ?? 2048
        guard layerCount <= ModelLimits.maxLayers else {
            throw .model(.invalidHyperparameter(key: arch + ".block_count", value: layerCount, reason: "over \(ModelLimits.maxLayers)"))
        }
        guard kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw .model(.invalidHyperparameter(key: arch + ".attention.head_count_kv", value: kvHeadCount,
                                                reason: "must divide head_count \(headCount)"))
        }
        if let k = gguf.int(arch + ".attention.key_length") {
            headDim = k
        } else {
            guard embeddingLength % headCount == 0 else {
                throw .model(.invalidHyperparameter(key: arch + ".embedding_length", value: embeddingLength,
                                                    reason: "not a multiple of head_count \(headCount)"))
            }
            headDim = embeddingLength / headCount
        }
        if let v = gguf.int(arch + ".attention.value_length"), v != headDim {
            throw .model(.invalidHyperparameter(key: arch + ".attention.value_length", value: v,
                                                reason: "must equal key_length \(headDim)"))
        }
        guard headDim > 0, headDim <= ModelLimits.maxHeadDim, headDim % 2 == 0 else {
            throw .model(.invalidHyperparameter(key: arch + ".attention.key_length", value: headDim,
                                                reason: "must be even and at most \(ModelLimits.maxHeadDim)"))
        }
        let rot = gguf.int(arch + ".rope.dimension_count") ?? headDim
        guard rot > 0, rot <= headDim, rot % 2 == 0 else {
            throw .model(.invalidHyperparameter(key: arch + ".rope.dimension_count", value: rot,
                                                reason: "must be even and at most head_dim \(headDim)"))
        }
        ropeDimensions = rot
        ropeBase = try positiveFloat(gguf, arch + ".rope.freq_base", default: 10000)
        rmsEps = Float(try positiveFloat(gguf, arch + ".attention.layer_norm_rms_epsilon", default: 1e-5, asFloat32: true))
        ropeStyle = family == .qwen2 ? .neox : .normal

        var linear = 1.0
        if let type = gguf.string(arch + ".rope.scaling.type"), type != "none" {
            guard type == "linear" else {
                throw .model(.invalidHyperparameter(key: arch + ".rope.scaling.type", value: 0,
                                                    reason: "\(quoted(type)) is not supported (none, linear; llama3 comes as rope_freqs)"))
            }
            linear = try positiveFloat(gguf, arch + ".rope.scaling.factor", default: 1)
        }
        ropeLinearScale = linear

        guard let embd = gguf.tensor(named: "token_embd.weight"), embd.shape.count == 2 else {
            throw .model(.missingTensor(name: "token_embd.weight"))
        }
        vocabularySize = embd.shape[1]
    }
}

/// A float hyper-parameter (a norm epsilon, the RoPE base, a scaling factor): absent
/// gives `default`; present, it must be a number, finite and > 0 — also once rounded to
/// Float32 when the model uses it as one — else the forward pass computes NaN or garbage.
func positiveFloat(_ gguf: GGUFFile, _ key: String, default value: Double,
                   asFloat32: Bool = false) throws(CoreError) -> Double {
    guard let raw = gguf.metadata[key] else { return value }
    guard let v = raw.asDouble else { throw .gguf(.wrongValueType(key: key, expected: "a number")) }
    guard v.isFinite, v > 0 else {
        throw .model(.invalidFloatHyperparameter(key: key, value: v, reason: "must be a finite number > 0"))
    }
    if asFloat32 {
        let f = Float(v)
        guard f.isFinite, f > 0 else {
            throw .model(.invalidFloatHyperparameter(key: key, value: v, reason: "is \(formatFloatHyperparameter(Double(f))) as a 32-bit float; must be finite and > 0"))
        }
    }
    return v
}

/// Bounds on hyperparameters, so a hostile file cannot make the memory plan overflow.
public enum ModelLimits {
    public static let maxDimension = 1 << 20
    public static let maxLayers = 1024
    public static let maxHeadDim = 1024
}
