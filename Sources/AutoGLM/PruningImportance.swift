import AutoGLMCore

/// Activation importance of FFN channels and attention heads, gathered from the inputs
/// of the FFN down and attention output projections while the model runs text:
///
///   FFN channel j of layer l:  mean_t |silu(gate_j) · up_j| · ‖W_down[:, j]‖₂
///   query head h of layer l:   mean_t ‖o_{t,h}‖₂ · ‖W_o[:, h·hd ..< (h+1)·hd]‖_F
///
/// i.e. how large the channel's (head's) contribution to the residual stream is on
/// average: its activation size times the norm of the weights that carry it out.
public final class PruningImportance: ActivationObserver {
    public let config: ModelConfig
    /// Σ_t |a_{t,j}| per layer, [layers][ffn].
    public private(set) var ffnActivation: [[Double]]
    /// Σ_t ‖o_{t,h}‖₂ per layer, [layers][heads].
    public private(set) var headActivation: [[Double]]
    public private(set) var rows = 0

    public init(config: ModelConfig) {
        self.config = config
        ffnActivation = Array(repeating: Array(repeating: 0, count: config.feedForwardLength), count: config.layerCount)
        headActivation = Array(repeating: Array(repeating: 0, count: config.headCount), count: config.layerCount)
    }

    public func observe(site: ActivationSite, layer: Int, values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int) {
        switch site {
        case .ffnDownInput:
            for t in 0..<tokens {
                let row = values + t * stride
                for j in 0..<width { ffnActivation[layer][j] += Double(abs(row[j])) }
            }
            if layer == 0 { rows += tokens }
        case .attentionOutputInput:
            let hd = config.headDim
            for t in 0..<tokens {
                for h in 0..<config.headCount {
                    let head = values + t * stride + h * hd
                    var sq = 0.0
                    for i in 0..<hd { sq += Double(head[i]) * Double(head[i]) }
                    headActivation[layer][h] += sq.squareRoot()
                }
            }
        default:
            break
        }
    }

    /// Channel scores of layer `l` (higher = more important).
    public func ffnScores(layer l: Int, model: Model) -> [Double] {
        let down = model.layers[l].wDown  // [d_model rows × ffn cols]
        var columnNormSq = [Double](repeating: 0, count: down.cols)
        var row = [Float](repeating: 0, count: down.cols)
        for r in 0..<down.rows {
            down.dequantizeRow(r, into: &row)
            for j in 0..<down.cols { columnNormSq[j] += Double(row[j]) * Double(row[j]) }
        }
        let n = Double(max(1, rows))
        return (0..<down.cols).map { ffnActivation[l][$0] / n * columnNormSq[$0].squareRoot() }
    }

    /// Query-head scores of layer `l` (higher = more important).
    public func headScores(layer l: Int, model: Model) -> [Double] {
        let wo = model.layers[l].wo  // [d_model rows × qDim cols]
        let hd = config.headDim
        var headNormSq = [Double](repeating: 0, count: config.headCount)
        var row = [Float](repeating: 0, count: wo.cols)
        for r in 0..<wo.rows {
            wo.dequantizeRow(r, into: &row)
            for c in 0..<wo.cols { headNormSq[c / hd] += Double(row[c]) * Double(row[c]) }
        }
        let n = Double(max(1, rows))
        return (0..<config.headCount).map { headActivation[l][$0] / n * headNormSq[$0].squareRoot() }
    }
}
