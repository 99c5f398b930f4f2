import AutoGLMCore

/// Observed value range of one linear layer's input and output.
public struct LinearRange: Equatable {
    public var inputMin: Float = .infinity
    public var inputMax: Float = -.infinity
    public var outputMin: Float = .infinity
    public var outputMax: Float = -.infinity
    public init() {}
}

/// Watches every linear layer of a forward pass (Core computes them as usual) and records
/// the min/max of each one's input and output, keyed by tensor name. The Arm NN networks
/// need static scales for both ends of each FullyConnected layer.
///
/// Input ranges measured here are used only for files without calibrated ones (`autoglm
/// quantize --calibration` stores them in the GGUF metadata); output ranges are not
/// calibrated elsewhere, so they always come from here.
public final class LinearRangeRecorder: ExternalLinearBackend {
    public private(set) var ranges: [String: LinearRange] = [:]

    public init() {}

    public func linear(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                       output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int) -> Bool {
        false
    }

    public func didCompute(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                           output: UnsafePointer<Float>, outputWidth: Int, tokens: Int) {
        var range = ranges[w.name] ?? LinearRange()
        for t in 0..<tokens {
            for c in 0..<w.cols {
                let v = input[t * inputWidth + c]
                range.inputMin = min(range.inputMin, v)
                range.inputMax = max(range.inputMax, v)
            }
            for r in 0..<w.rows {
                let v = output[t * outputWidth + r]
                range.outputMin = min(range.outputMin, v)
                range.outputMax = max(range.outputMax, v)
            }
        }
        ranges[w.name] = range
    }

    /// Runs windows of `tokens` (each starting at position 0, its first token replaced by
    /// `bos` when given, as perplexity does) through `state` and returns what it saw.
    /// Uses the state's KV cache; later runs start at position 0 and overwrite it.
    public static func measure(state: InferenceState, tokens: [Int32], window: Int, bos: Int32?) -> [String: LinearRange] {
        let recorder = LinearRangeRecorder()
        let previous = state.externalLinear
        state.externalLinear = recorder
        defer { state.externalLinear = previous }
        let length = min(window, state.limits.maxContext)
        var start = 0
        while start < tokens.count {
            var ids = Array(tokens[start..<min(start + length, tokens.count)])
            if let bos { ids[0] = bos }
            ids.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
            start += length
        }
        return recorder.ranges
    }
}
