/// Which linear-layer input of the forward pass an observation is. Each site is the
/// activation one or more weight matrices multiply, so one static activation scale per
/// site serves every matrix listed in `tensorNames`.
public enum ActivationSite: Int, Equatable, CaseIterable, Sendable {
    /// Normed residual entering Q, K and V (one input shared by the three projections).
    case attentionInput = 0
    /// Concatenated head outputs entering the attention output projection.
    case attentionOutputInput = 1
    /// Normed residual entering the FFN gate and up projections.
    case ffnInput = 2
    /// silu(gate) · up entering the FFN down projection.
    case ffnDownInput = 3
    /// Final-normed residual entering the output (lm_head) projection; layer is -1.
    case outputInput = 4

    public var name: String {
        switch self {
        case .attentionInput: return "attn_input"
        case .attentionOutputInput: return "attn_output_input"
        case .ffnInput: return "ffn_input"
        case .ffnDownInput: return "ffn_down_input"
        case .outputInput: return "output_input"
        }
    }

    /// The GGUF tensors (llama.cpp names) that multiply this site's activation in `layer`.
    /// `fusedGateUp`: GLM's single ffn_up tensor holds [gate; up]; `tiedOutput`: the output
    /// projection is the token embedding.
    public func tensorNames(layer: Int, fusedGateUp: Bool, tiedOutput: Bool) -> [String] {
        let p = "blk.\(layer)."
        switch self {
        case .attentionInput: return [p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight"]
        case .attentionOutputInput: return [p + "attn_output.weight"]
        case .ffnInput: return fusedGateUp ? [p + "ffn_up.weight"] : [p + "ffn_gate.weight", p + "ffn_up.weight"]
        case .ffnDownInput: return [p + "ffn_down.weight"]
        case .outputInput: return [tiedOutput ? "token_embd.weight" : "output.weight"]
        }
    }
}

/// Sees every linear layer's input during a forward pass, for calibration and pruning
/// importance. Called on the forward pass's thread, before the matmul, with rows
/// `values[t·stride ..< t·stride + width]` for t < tokens. The pointer is only valid
/// during the call. Class-bound so the forward pass holds one reference (no boxing):
/// when `InferenceState.activationObserver` is nil the cost is one nil check per site
/// and no allocation.
public protocol ActivationObserver: AnyObject {
    func observe(site: ActivationSite, layer: Int, values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int)
}
