import AutoGLMCore

/// A set of weight tensors quantized or kept together: what sensitivity analysis and
/// mixed precision decide about. Per layer: attention Q/K/V, attention output, FFN
/// gate+up (fused or not), FFN down; then the output projection (when not tied) and the
/// token embedding.
public struct TensorGroup: Equatable, Codable, Sendable {
    public var name: String
    public var tensors: [String]

    public init(name: String, tensors: [String]) {
        self.name = name
        self.tensors = tensors
    }

    /// Patterns for GGUFQuantizer's `keep` naming these tensors and anything stored beside
    /// them under their name (NAME.suffix companions of our own tensor types).
    public var keepPatterns: [String] { tensors.flatMap { [$0, $0 + ".*"] } }

    /// Whether `tensorName` belongs to this group (as a tensor or a companion of one).
    public func contains(tensorName: String) -> Bool {
        tensors.contains { tensorName == $0 || tensorName.hasPrefix($0 + ".") }
    }

    /// Every group of `gguf` whose tensors exist, in file order of layers. Only groups
    /// that quantizing to `target` would change are returned: the quantizable ones.
    public static func quantizable(in gguf: GGUFFile, layerCount: Int, target: TensorType) -> [TensorGroup] {
        var groups: [TensorGroup] = []
        func add(_ name: String, _ candidates: [String]) {
            let present = candidates.filter { gguf.tensor(named: $0) != nil }
            let changes = present.contains { GGUFQuantizer.outputType(for: gguf.tensor(named: $0)!, target: target, keep: []) != nil }
            if changes { groups.append(TensorGroup(name: name, tensors: present)) }
        }
        for l in 0..<layerCount {
            let p = "blk.\(l)."
            add(p + "attn_qkv", [p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight"])
            add(p + "attn_output", [p + "attn_output.weight"])
            add(p + "ffn_gate_up", [p + "ffn_gate.weight", p + "ffn_up.weight"])
            add(p + "ffn_down", [p + "ffn_down.weight"])
        }
        add("output", ["output.weight"])
        add("token_embd", ["token_embd.weight"])
        return groups
    }
}
