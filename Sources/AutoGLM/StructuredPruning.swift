import AutoGLMCore

/// What to keep in each layer: FFN channel indices and query-head indices, ascending.
/// Every layer keeps the same counts, because the file format (and ModelConfig) has one
/// feed_forward_length and one head_count for all layers.
public struct PruningPlan: Equatable {
    public var ffnKept: [[Int]]
    public var headsKept: [[Int]]

    public var ffnLength: Int { ffnKept.first?.count ?? 0 }
    public var headCount: Int { headsKept.first?.count ?? 0 }

    /// Channels kept per layer: keep · ffn rounded to the nearest multiple of `multiple`
    /// (so Q8_0/Q4_0 blocks of 32 still fill the down projection's rows), at least one
    /// multiple; all of them when keep ≥ 1.
    public static func ffnCount(ffn: Int, keep: Double, multiple: Int) -> Int {
        guard keep < 1 else { return ffn }
        let rounded = Int((keep * Double(ffn) / Double(multiple)).rounded(.toNearestOrAwayFromZero)) * multiple
        return min(ffn, max(multiple, rounded))
    }

    /// Query heads kept per KV group under GQA: each KV head serves heads/kv_heads query
    /// heads, and the runtime (like llama.cpp) maps query head h to KV head h / group, so
    /// every group must keep the same number. keep · group size rounded to nearest, at
    /// least one; KV heads are never removed (their K/V projections and cache stay).
    public static func headsPerGroup(heads: Int, kvHeads: Int, keep: Double) -> Int {
        let group = heads / kvHeads
        guard keep < 1 else { return group }
        return min(group, max(1, Int((keep * Double(group)).rounded(.toNearestOrAwayFromZero))))
    }

    /// Keeps the highest-scoring channels per layer and, inside every KV group, the
    /// highest-scoring query heads (ties: the lower index).
    public init(importance: PruningImportance, model: Model, ffnKeep: Double, headsKeep: Double, ffnMultiple: Int) {
        let c = model.config
        let ffnCount = Self.ffnCount(ffn: c.feedForwardLength, keep: ffnKeep, multiple: ffnMultiple)
        let perGroup = Self.headsPerGroup(heads: c.headCount, kvHeads: c.kvHeadCount, keep: headsKeep)
        let group = c.headCount / c.kvHeadCount
        ffnKept = []
        headsKept = []
        for l in 0..<c.layerCount {
            ffnKept.append(Self.top(ffnCount, of: ffnCount == c.feedForwardLength ? [] : importance.ffnScores(layer: l, model: model),
                                    all: c.feedForwardLength))
            let scores = perGroup == group ? [] : importance.headScores(layer: l, model: model)
            var heads: [Int] = []
            for g in 0..<c.kvHeadCount {
                let members = Array((g * group)..<((g + 1) * group))
                heads += Self.top(perGroup, of: scores.isEmpty ? [] : members.map { scores[$0] }, all: group).map { members[$0] }
            }
            headsKept.append(heads)
        }
    }

    public init(ffnKept: [[Int]], headsKept: [[Int]]) {
        self.ffnKept = ffnKept
        self.headsKept = headsKept
    }

    /// Indices of the `k` largest scores, ascending; all indices when no scores are given.
    static func top(_ k: Int, of scores: [Double], all n: Int) -> [Int] {
        guard !scores.isEmpty, k < n else { return Array(0..<n) }
        let ranked = (0..<n).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return ranked.prefix(k).sorted()
    }
}

public enum PruningError: Error, CustomStringConvertible {
    case unsupportedTensorType(String, TensorType)

    public var description: String {
        switch self {
        case .unsupportedTensorType(let name, let type):
            return "prune: tensor \(quoted(name)) is \(type.name); prune an F32/F16/BF16/Q8_0/Q4_0 file (quantize to int8 after pruning)"
        }
    }
}

/// Writes the pruned model: FFN matrices lose channels (rows of gate/up — both halves of
/// GLM's fused [gate; up] — and columns of down), Q loses the rows (and bias) of removed
/// heads and the output projection their columns; K, V and everything else are copied.
/// Metadata: feed_forward_length and head_count updated, key_length/value_length written
/// (the head size no longer follows from embedding_length / head_count).
public enum StructuredPruning {
    public static let rewritableTypes: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0]

    public static func write(model: Model, plan: PruningPlan, outputPath: String) throws {
        let c = model.config
        let gguf = model.gguf
        let arch = c.architecture
        var metadata: [GGUFMetadataEntry] = []
        var sawKeyLength = false, sawValueLength = false
        for e in gguf.metadataEntries {
            switch e.key {
            case arch + ".feed_forward_length":
                metadata.append(GGUFMetadataEntry(key: e.key, type: e.type, value: .int(Int64(plan.ffnLength))))
            case arch + ".attention.head_count":
                metadata.append(GGUFMetadataEntry(key: e.key, type: e.type, value: .int(Int64(plan.headCount))))
            case arch + ".attention.key_length":
                sawKeyLength = true
                metadata.append(e)
            case arch + ".attention.value_length":
                sawValueLength = true
                metadata.append(e)
            default:
                metadata.append(e)
            }
        }
        if !sawKeyLength { metadata.append(GGUFMetadataEntry(key: arch + ".attention.key_length", type: .uint32, value: .int(Int64(c.headDim)))) }
        if !sawValueLength { metadata.append(GGUFMetadataEntry(key: arch + ".attention.value_length", type: .uint32, value: .int(Int64(c.headDim)))) }

        // Per tensor: which rows and columns survive (nil: all).
        var selections: [(rows: [Int]?, cols: [Int]?)] = []
        var descriptors: [GGUFTensorDescriptor] = []
        for t in gguf.tensors {
            let s = selection(for: t.name, config: c, plan: plan)
            if s.rows != nil || s.cols != nil {
                guard rewritableTypes.contains(t.type) else { throw PruningError.unsupportedTensorType(t.name, t.type) }
            }
            var shape = t.shape
            if let cols = s.cols { shape[0] = cols.count }
            if let rows = s.rows { shape[shape.count == 1 ? 0 : 1] = rows.count }
            var type = t.type
            if s.cols != nil, shape[0] % type.blockSize != 0 { type = GGUFQuantizer.fallbackType }
            selections.append(s)
            descriptors.append(GGUFTensorDescriptor(name: t.name, shape: shape, type: type))
        }

        let writer = try GGUFWriter(path: outputPath, metadata: metadata, tensors: descriptors)
        for (i, t) in gguf.tensors.enumerated() {
            let s = selections[i]
            guard s.rows != nil || s.cols != nil else {
                try writer.append(gguf.bytes(for: t))
                continue
            }
            let isVector = t.shape.count == 1
            let inCols = isVector ? t.elementCount : t.rowElements
            let inRows = isVector ? 1 : t.rowCount
            let rows = isVector ? [0] : (s.rows ?? Array(0..<inRows))
            let cols = isVector ? (s.rows ?? Array(0..<inCols)) : (s.cols ?? Array(0..<inCols))
            let outType = descriptors[i].type
            let inRowBytes = t.type.rowBytes(elements: inCols)!
            let outRowBytes = outType.rowBytes(elements: cols.count)!
            var source = [Float](repeating: 0, count: inCols)
            var kept = [Float](repeating: 0, count: cols.count)
            var bytes = [UInt8](repeating: 0, count: outRowBytes)
            let data = gguf.data(for: t)
            for r in rows {
                source.withUnsafeMutableBufferPointer { dequantize(type: t.type, data + r * inRowBytes, count: inCols, into: $0.baseAddress!) }
                for (k, j) in cols.enumerated() { kept[k] = source[j] }
                kept.withUnsafeBufferPointer { k in
                    bytes.withUnsafeMutableBytes { TensorQuantizer.quantize(k.baseAddress!, count: cols.count, to: outType, into: $0.baseAddress!) }
                }
                try bytes.withUnsafeBytes { try writer.append($0) }
            }
        }
        try writer.finish()
    }

    /// Surviving rows (output features; elements for a 1-D tensor) and columns (input
    /// features) of the tensor called `name`.
    static func selection(for name: String, config c: ModelConfig, plan: PruningPlan) -> (rows: [Int]?, cols: [Int]?) {
        guard name.hasPrefix("blk.") else { return (nil, nil) }
        let parts = name.split(separator: ".")
        guard parts.count >= 3, let l = Int(parts[1]), l >= 0, l < c.layerCount else { return (nil, nil) }
        let tensor = parts[2...].joined(separator: ".")
        let ffn = plan.ffnKept[l], heads = plan.headsKept[l]
        let allFFN = ffn.count == c.feedForwardLength, allHeads = heads.count == c.headCount
        let headDims = heads.flatMap { h in (h * c.headDim)..<((h + 1) * c.headDim) }
        switch tensor {
        case "ffn_up.weight" where c.family == .glm || c.family == .glm4:
            return allFFN ? (nil, nil) : (ffn + ffn.map { $0 + c.feedForwardLength }, nil)  // [gate; up]
        case "ffn_up.weight", "ffn_gate.weight":
            return allFFN ? (nil, nil) : (ffn, nil)
        case "ffn_down.weight":
            return allFFN ? (nil, nil) : (nil, ffn)
        case "attn_q.weight", "attn_q.bias":
            return allHeads ? (nil, nil) : (headDims, nil)
        case "attn_output.weight":
            return allHeads ? (nil, nil) : (nil, headDims)
        default:
            return (nil, nil)
        }
    }
}
