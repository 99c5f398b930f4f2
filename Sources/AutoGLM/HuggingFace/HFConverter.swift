import AutoGLMCore
import Foundation

/// A Hugging Face model folder (config.json, tokenizer.json, *.safetensors with an
/// optional model.safetensors.index.json) → an F32 GGUF file that llama.cpp's converter
/// would also write for it: the same tensor names, shapes and data (Llama's Q/K rows
/// permuted for its RoPE layout, Llama-3's rope_freqs generated), and the same model
/// and tokenizer metadata (docs/huggingface.md).
public struct HFConverter {
    public let folder: URL
    public let config: HFModelConfig
    public let tokenizer: HFTokenizer
    public let shards: [SafetensorsFile]
    /// Output tensors in write order.
    public let plan: [PlannedTensor]

    public struct PlannedTensor {
        public let name: String
        /// GGUF order (row length first).
        public let shape: [Int]
        let source: Source
    }

    enum Source {
        case tensor(shard: Int, SafetensorsTensor, permuteHeads: Int?)
        case generated([Float])
    }

    /// Files that make a folder a Hugging Face model for `quantize`.
    public static func isModelFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("config.json"))
    }

    public init(folder path: String) throws {
        folder = URL(fileURLWithPath: path, isDirectory: true)
        config = try HFModelConfig(json: try HFJSON.object(at: folder.appendingPathComponent("config.json"))!)
        tokenizer = try HFTokenizer(folder: folder, config: config)
        let (files, weightMap) = try Self.shardFiles(in: folder)
        shards = try files.map { try SafetensorsFile(path: $0.path) }
        var byName: [String: (Int, SafetensorsTensor)] = [:]
        for (i, shard) in shards.enumerated() {
            for t in shard.tensors {
                if let (other, _) = byName[t.name] {
                    throw HFError.duplicateTensor(name: t.name, files: [shards[other].path, shard.path])
                }
                byName[t.name] = (i, t)
            }
        }
        for (name, file) in weightMap ?? [:] {
            guard let (i, _) = byName[name], shards[i].path == folder.appendingPathComponent(file).path else {
                throw HFError.missingTensor(name: name + " (in " + file + ", says model.safetensors.index.json)")
            }
        }
        plan = try Self.plan(config: config, vocabSize: tokenizer.tokens.count, tensors: byName)
    }

    /// model.safetensors.index.json's files when present (each name checked against its
    /// file later), else model.safetensors, else every *.safetensors, sorted.
    static func shardFiles(in folder: URL) throws -> ([URL], [String: String]?) {
        let indexURL = folder.appendingPathComponent("model.safetensors.index.json")
        if let index = try HFJSON.object(at: indexURL, required: false) {
            guard let map = index["weight_map"] as? [String: String] else {
                throw HFError.invalidJSON(path: indexURL.path, reason: "no weight_map of tensor → file")
            }
            let files = Set(map.values).sorted()
            for f in files where f.contains("/") || f.hasPrefix(".") {
                throw HFError.invalidJSON(path: indexURL.path, reason: "weight_map names \(quoted(f)), not a file in the folder")
            }
            return (files.map { folder.appendingPathComponent($0) }, map)
        }
        let single = folder.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: single.path) { return ([single], nil) }
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !all.isEmpty else { throw HFError.missingFile(path: single.path) }
        return (all.map { folder.appendingPathComponent($0) }, nil)
    }

    /// HF tensor names → GGUF names and shapes, every expected tensor present with the
    /// shape config.json implies, nothing unknown left over.
    static func plan(config c: HFModelConfig, vocabSize: Int,
                     tensors: [String: (Int, SafetensorsTensor)]) throws -> [PlannedTensor] {
        let d = c.hiddenSize, hd = c.headDim, ffn = c.intermediateSize
        let q = c.headCount * hd, kv = c.kvHeadCount * hd
        let vocab = c.vocabSize ?? vocabSize
        // (HF name, GGUF name, HF shape, required)
        var wanted: [(String, String, [Int], Bool)] = [
            ("model.embed_tokens.weight", "token_embd.weight", [vocab, d], true),
            ("model.norm.weight", "output_norm.weight", [d], true),
            ("lm_head.weight", "output.weight", [vocab, d], false),
        ]
        let hasBias = c.family != .llama
        for i in 0..<c.layerCount {
            let h = "model.layers.\(i).", g = "blk.\(i)."
            wanted += [
                (h + "input_layernorm.weight", g + "attn_norm.weight", [d], true),
                (h + "self_attn.q_proj.weight", g + "attn_q.weight", [q, d], true),
                (h + "self_attn.k_proj.weight", g + "attn_k.weight", [kv, d], true),
                (h + "self_attn.v_proj.weight", g + "attn_v.weight", [kv, d], true),
                (h + "self_attn.q_proj.bias", g + "attn_q.bias", [q], hasBias),
                (h + "self_attn.k_proj.bias", g + "attn_k.bias", [kv], hasBias),
                (h + "self_attn.v_proj.bias", g + "attn_v.bias", [kv], hasBias),
                (h + "self_attn.o_proj.weight", g + "attn_output.weight", [d, q], true),
                (h + "post_attention_layernorm.weight", g + "ffn_norm.weight", [d], true),
                (h + "mlp.down_proj.weight", g + "ffn_down.weight", [d, ffn], true),
            ]
            if c.family == .glm4 {
                wanted += [
                    (h + "post_self_attn_layernorm.weight", g + "post_attention_norm.weight", [d], true),
                    (h + "post_mlp_layernorm.weight", g + "post_ffw_norm.weight", [d], true),
                ]
            }
            if c.family.isGLM {
                wanted.append((h + "mlp.gate_up_proj.weight", g + "ffn_up.weight", [2 * ffn, d], true))
            } else {
                wanted += [
                    (h + "mlp.gate_proj.weight", g + "ffn_gate.weight", [ffn, d], true),
                    (h + "mlp.up_proj.weight", g + "ffn_up.weight", [ffn, d], true),
                ]
            }
        }
        var plan: [PlannedTensor] = []
        if let factors = c.llama3RopeFactors() {
            plan.append(PlannedTensor(name: "rope_freqs.weight", shape: [factors.count], source: .generated(factors)))
        }
        var used = Set<String>()
        for (hfName, ggufName, shape, required) in wanted.sorted(by: { $0.0 < $1.0 }) {
            guard let (shard, t) = tensors[hfName] else {
                if required { throw HFError.missingTensor(name: hfName) }
                continue
            }
            guard t.shape == shape else { throw HFError.wrongShape(tensor: hfName, expected: shape, found: t.shape) }
            used.insert(hfName)
            // llama.cpp's Llama graph rotates adjacent pairs; HF Llama rotates halves. Its
            // converter reorders each head's rows (K with the KV head count) to match.
            var permute: Int? = nil
            if c.family == .llama && hfName.hasSuffix("self_attn.q_proj.weight") { permute = c.headCount }
            if c.family == .llama && hfName.hasSuffix("self_attn.k_proj.weight") { permute = c.kvHeadCount }
            plan.append(PlannedTensor(name: ggufName, shape: shape.reversed(), source: .tensor(shard: shard, t, permuteHeads: permute)))
        }
        for name in tensors.keys.sorted() where !used.contains(name) && !name.hasSuffix("rotary_emb.inv_freq") {
            throw HFError.unexpectedTensor(name: name)
        }
        return plan
    }

    /// Writes the F32 GGUF (through OUT.tmp, renamed at the end). `progress(i, n, name)` after each tensor.
    @discardableResult
    public func writeGGUF(to outputPath: String, name: String? = nil,
                          progress: (Int, Int, String, Int) -> Void = { _, _, _, _ in }) throws -> Int {
        // A key written twice keeps its first place and its last value, as in gguf-py's writer.
        var metadata: [GGUFMetadataEntry] = []
        for e in config.metadata(name: name ?? folder.lastPathComponent) + tokenizer.metadata(pre: config.family.preTokenizer) {
            if let i = metadata.firstIndex(where: { $0.key == e.key }) { metadata[i] = e } else { metadata.append(e) }
        }
        let descriptors = plan.map { GGUFTensorDescriptor(name: $0.name, shape: $0.shape, type: .f32) }
        let writer: GGUFWriter
        do { writer = try GGUFWriter(path: outputPath, metadata: metadata, tensors: descriptors) } catch { throw HFError.core(error) }
        for (i, t) in plan.enumerated() {
            let count = t.shape.reduce(1, *)
            var floats = [Float](repeating: 0, count: count)
            switch t.source {
            case .generated(let values):
                floats = values
            case .tensor(let shard, let source, let heads):
                floats.withUnsafeMutableBufferPointer { shards[shard].readFloats(source, into: $0.baseAddress!) }
                if let heads { floats = Self.permuteRotaryPairs(floats, rows: t.shape[1], cols: t.shape[0], heads: heads) }
            }
            do {
                try floats.withUnsafeBytes { try writer.append($0) }
            } catch let e as CoreError {
                throw HFError.core(e)
            }
            progress(i, plan.count, t.name, count * 4)
        }
        do { try writer.finish() } catch { throw HFError.core(error) }
        return writer.fileBytes
    }

    /// Within each head of `rows / heads` rows, row j·(n/2) + i (HF: halves) moves to
    /// row 2i + j (adjacent pairs), i < n/2, j ∈ {0, 1}.
    static func permuteRotaryPairs(_ w: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        let perHead = rows / heads, half = perHead / 2
        var out = w
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let from = (h * perHead + j * half + i) * cols
                    let to = (h * perHead + 2 * i + j) * cols
                    for c in 0..<cols { out[to + c] = w[from + c] }
                }
            }
        }
        return out
    }
}
