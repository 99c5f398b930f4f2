import AutoGLMCore
import Foundation

/// The model families a Hugging Face folder can be converted from, by config.json's
/// `architectures[0]`, with the GGUF architecture and the pre-tokenizer name each gets.
public enum HFFamily: String, CaseIterable {
    case llama = "LlamaForCausalLM"
    case qwen2 = "Qwen2ForCausalLM"
    case glm = "GlmForCausalLM"
    case glm4 = "Glm4ForCausalLM"

    public var ggufArchitecture: String {
        switch self {
        case .llama: return "llama"
        case .qwen2: return "qwen2"
        case .glm: return "chatglm"
        case .glm4: return "glm4"
        }
    }

    /// GLM and GLM-4: fused gate_up, partial RoPE, QKV bias, and the GLM special tokens.
    var isGLM: Bool { self == .glm || self == .glm4 }

    /// llama.cpp identifies the pre-tokenizer by hashing a tokenization; a converter
    /// without llama.cpp's table of hashes names it by family instead (README: the
    /// families' byte-level BPE tokenizers use these splitting rules).
    public var preTokenizer: String {
        switch self {
        case .llama: return "llama-bpe"
        case .qwen2: return "qwen2"
        case .glm, .glm4: return "glm4"
        }
    }
}

/// config.json, read into what the GGUF metadata and the tensor mapping need.
public struct HFModelConfig {
    public static let defaultRopeTheta = 10_000.0

    public let family: HFFamily
    public let hiddenSize: Int
    public let intermediateSize: Int
    public let layerCount: Int
    public let headCount: Int
    public let kvHeadCount: Int
    /// config.json's head_dim when given (GGUF key/value lengths are written only then).
    public let explicitHeadDim: Int?
    public let contextLength: Int
    /// GLM's context as llama.cpp's chatglm converter reads it (seq_length), when given.
    public let sequenceLength: Int?
    public let vocabSize: Int?
    public let rmsEps: Double
    public let ropeTheta: Double
    public let partialRotaryFactor: Double
    /// rope_parameters (or legacy rope_scaling) with rope_type llama3.
    public let llama3Rope: Llama3Rope?
    public let raw: [String: Any]

    public struct Llama3Rope {
        public let factor: Double
        public let lowFreqFactor: Double
        public let highFreqFactor: Double
        public let originalContext: Double
    }

    public var headDim: Int { explicitHeadDim ?? hiddenSize / headCount }

    public init(json c: [String: Any]) throws {
        raw = c
        guard let archs = c["architectures"] as? [String], let first = archs.first else {
            throw HFError.missingConfigKey(key: "architectures")
        }
        guard let family = HFFamily(rawValue: first) else { throw HFError.unsupportedArchitecture(first) }
        self.family = family
        func int(_ key: String) throws -> Int {
            guard let v = c[key] else { throw HFError.missingConfigKey(key: key) }
            guard let i = v as? Int, i > 0, i <= 1 << 40 else {
                throw HFError.invalidConfigValue(key: key, value: "\(v)", reason: "not a positive integer")
            }
            return i
        }
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        kvHeadCount = c["num_key_value_heads"] == nil ? headCount : try int("num_key_value_heads")
        explicitHeadDim = c["head_dim"] == nil || c["head_dim"] is NSNull ? nil : try int("head_dim")
        contextLength = try int("max_position_embeddings")
        sequenceLength = c["seq_length"] == nil ? nil : try int("seq_length")
        vocabSize = c["vocab_size"] == nil ? nil : try int("vocab_size")
        guard let eps = c["rms_norm_eps"] as? Double, eps > 0 else {
            throw HFError.invalidConfigValue(key: "rms_norm_eps", value: "\(c["rms_norm_eps"] ?? "absent")", reason: "not a positive number")
        }
        rmsEps = eps
        guard headCount % kvHeadCount == 0 else {
            throw HFError.invalidConfigValue(key: "num_key_value_heads", value: "\(kvHeadCount)",
                                             reason: "does not divide num_attention_heads \(headCount)")
        }
        // transformers 5 keeps rope settings in rope_parameters; older configs at the top
        // level (rope_theta, partial_rotary_factor) and in rope_scaling.
        let rope = (c["rope_parameters"] as? [String: Any]) ?? (c["rope_scaling"] as? [String: Any]) ?? [:]
        ropeTheta = (rope["rope_theta"] as? Double) ?? (c["rope_theta"] as? Double) ?? Self.defaultRopeTheta
        let defaultPartial = family.isGLM ? 0.5 : 1.0
        partialRotaryFactor = (rope["partial_rotary_factor"] as? Double) ?? (c["partial_rotary_factor"] as? Double) ?? defaultPartial
        let ropeType = ((rope["rope_type"] ?? rope["type"]) as? String)?.lowercased() ?? "default"
        switch ropeType {
        case "default":
            llama3Rope = nil
        case "llama3" where family == .llama:
            llama3Rope = Llama3Rope(factor: (rope["factor"] as? Double) ?? 8,
                                    lowFreqFactor: (rope["low_freq_factor"] as? Double) ?? 1,
                                    highFreqFactor: (rope["high_freq_factor"] as? Double) ?? 4,
                                    originalContext: (rope["original_max_position_embeddings"] as? Double) ?? 8192)
        default:
            throw HFError.invalidConfigValue(key: "rope_type", value: ropeType, reason: "only default (and llama3 for Llama) are supported")
        }
        guard headDim % 2 == 0, Int(Double(headDim) * partialRotaryFactor) % 2 == 0 else {
            throw HFError.invalidConfigValue(key: "head_dim", value: "\(headDim)", reason: "rotary dimensions must be even")
        }
    }

    /// Rotated dimensions per head.
    public var ropeDimensions: Int { Int(Double(headDim) * partialRotaryFactor) }

    /// The GGUF model metadata in the order llama.cpp's converter writes it.
    public func metadata(name: String) -> [GGUFMetadataEntry] {
        let a = family.ggufArchitecture
        func u32(_ key: String, _ v: Int) -> GGUFMetadataEntry { GGUFMetadataEntry(key: key, type: .uint32, value: .int(Int64(v))) }
        func f32(_ key: String, _ v: Double) -> GGUFMetadataEntry {
            GGUFMetadataEntry(key: key, type: .float32, value: .float(Double(Float(v))))
        }
        func str(_ key: String, _ v: String) -> GGUFMetadataEntry { GGUFMetadataEntry(key: key, type: .string, value: .string(v)) }
        let general = [str("general.architecture", a), str("general.type", "model"), str("general.name", name)]
        if family == .glm {
            // llama.cpp's chatglm converter: its own order, add_bos_token false here (the
            // tokenizer's post-processor may overwrite the value later, in place), no
            // key/value lengths. Two of its choices are not followed: it writes the hidden
            // size as context length when config.json has no seq_length, and rope base
            // 10000 × rope_ratio whatever rope_theta says; we use max_position_embeddings
            // and rope_theta, which is what transformers runs (docs/huggingface.md).
            return general + [u32("\(a).context_length", sequenceLength ?? contextLength),
                              u32("\(a).embedding_length", hiddenSize), u32("\(a).feed_forward_length", intermediateSize),
                              u32("\(a).block_count", layerCount), u32("\(a).attention.head_count", headCount),
                              u32("\(a).attention.head_count_kv", kvHeadCount),
                              f32("\(a).attention.layer_norm_rms_epsilon", rmsEps), u32(GGUFQuantizer.fileTypeKey, 0),
                              u32("\(a).rope.dimension_count", ropeDimensions),
                              GGUFMetadataEntry(key: "tokenizer.ggml.add_bos_token", type: .bool, value: .bool(false)),
                              f32("\(a).rope.freq_base", ropeTheta),
                              u32(GGUFQuantizer.quantizationVersionKey, Int(GGUFQuantizer.quantizationVersion))]
        }
        var m = general + [
                 u32("\(a).block_count", layerCount), u32("\(a).context_length", contextLength),
                 u32("\(a).embedding_length", hiddenSize), u32("\(a).feed_forward_length", intermediateSize),
                 u32("\(a).attention.head_count", headCount), u32("\(a).attention.head_count_kv", kvHeadCount),
                 f32("\(a).rope.freq_base", ropeTheta), f32("\(a).attention.layer_norm_rms_epsilon", rmsEps)]
        if let hd = explicitHeadDim {
            m += [u32("\(a).attention.key_length", hd), u32("\(a).attention.value_length", hd)]
        }
        m.append(u32(GGUFQuantizer.fileTypeKey, 0))
        switch family {
        case .llama:
            if let v = vocabSize { m.append(u32("llama.vocab_size", v)) }
            m.append(u32("llama.rope.dimension_count", headDim))
        case .glm4:
            m.append(u32("glm4.rope.dimension_count", ropeDimensions))
        case .qwen2, .glm:
            break
        }
        m.append(u32(GGUFQuantizer.quantizationVersionKey, Int(GGUFQuantizer.quantizationVersion)))
        return m
    }

    /// Llama-3 rope scaling as per-frequency divisors (GGUF `rope_freqs.weight`), computed
    /// in Float step by step the way llama.cpp's converter does it in float32 torch.
    public func llama3RopeFactors() -> [Float]? {
        guard let r = llama3Rope else { return nil }
        let dim = headDim
        let lowWavelen = r.originalContext / r.lowFreqFactor
        let highWavelen = r.originalContext / r.highFreqFactor
        var factors: [Float] = []
        for i in stride(from: 0, to: dim, by: 2) {
            let exponent = Float(i) / Float(dim)
            let freq = 1 / Float(pow(Float(ropeTheta), exponent))
            // Python scalar / float32 tensor is reciprocal-then-multiply in torch.
            let wavelen = (1 / freq) * Float(2 * Double.pi)
            if Double(wavelen) < highWavelen {
                factors.append(1)
            } else if Double(wavelen) > lowWavelen {
                factors.append(Float(r.factor))
            } else {
                let ratio = (1 / wavelen) * Float(r.originalContext)
                let smooth = (ratio - Float(r.lowFreqFactor)) / Float(r.highFreqFactor - r.lowFreqFactor)
                factors.append(1 / ((1 - smooth) / Float(r.factor) + smooth))
            }
        }
        return factors
    }
}
