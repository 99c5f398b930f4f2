import AutoGLMCore

/// Runs every linear layer of a model (Q, K, V, O, gate/up, down, lm_head) as an Arm NN
/// FullyConnected network; attention, norms and RoPE stay on Core's kernels.
///
/// All networks are built, optimized and loaded here, at start-up: two per weight matrix,
/// one for single-token decode and one for prefill chunks of up to `maxTokens` rows
/// (shorter chunks are zero-padded), so no token ever waits for Arm NN's optimizer.
public final class ArmNNLinearBackend: ExternalLinearBackend {
    struct Networks {
        let decode: ArmNNLinear
        let prefill: ArmNNLinear?
    }

    public let runtime: ArmNNRuntime
    /// Keyed by the matrix's mapped data, which identifies it without comparing names per call.
    private var networks: [UnsafeRawPointer: Networks] = [:]

    public var networkCount: Int { networks.values.reduce(0) { $0 + ($1.prefill == nil ? 1 : 2) } }

    /// `ranges` must hold every linear layer's input and output range (LinearRangeRecorder).
    public init(model: Model, runtime: ArmNNRuntime, ranges: [String: LinearRange], maxTokens: Int) throws(ArmNNError) {
        self.runtime = runtime
        for (w, bias) in ArmNNLinearBackend.linearLayers(of: model) where networks[w.data] == nil {
            guard let range = ranges[w.name], range.inputMin <= range.inputMax, range.outputMin <= range.outputMax else {
                throw ArmNNError("no calibrated activation range for \(w.name): calibrate on text that runs every layer")
            }
            let weights = PerTensorInt8Weights(w)
            let input = try ArmNNLinearBackend.inputQuantization(w, model: model, measured: range)
            let output = Int8Quantization(min: range.outputMin, max: range.outputMax)
            let intBias = bias.map { weights.int32Bias($0, inputScale: input.scale) }
            let decode = try ArmNNLinear(runtime: runtime, weights: weights, bias: intBias, input: input, output: output, batch: 1)
            let prefill = maxTokens > 1
                ? try ArmNNLinear(runtime: runtime, weights: weights, bias: intBias, input: input, output: output, batch: maxTokens)
                : nil
            networks[w.data] = Networks(decode: decode, prefill: prefill)
        }
    }

    /// The static scale `autoglm quantize --calibration` stored for this matrix's input
    /// (symmetric, MSE-optimal clip / 127), else the range measured at start-up.
    static func inputQuantization(_ w: WeightMatrix, model: Model, measured: LinearRange) throws(ArmNNError) -> Int8Quantization {
        let stored: StaticActivationRange?
        do { stored = try model.gguf.staticActivationRange(tensor: w.name) } catch { throw ArmNNError(error.message) }
        if let stored { return Int8Quantization(scale: stored.scale, zeroPoint: 0) }
        return Int8Quantization(min: measured.inputMin, max: measured.inputMax)
    }

    /// Every matrix a forward pass multiplies by, with the bias added after it.
    static func linearLayers(of model: Model) -> [(WeightMatrix, UnsafePointer<Float>?)] {
        var list: [(WeightMatrix, UnsafePointer<Float>?)] = []
        for layer in model.layers {
            list += [(layer.wq, layer.bq), (layer.wk, layer.bk), (layer.wv, layer.bv), (layer.wo, nil)]
            if let gate = layer.wGate { list.append((gate, nil)) }
            list += [(layer.wUp, nil), (layer.wDown, nil)]
        }
        list.append((model.output, nil))
        return list
    }

    public func linear(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                       output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int) -> Bool {
        guard let pair = networks[w.data] else { return false }
        let network = tokens == 1 ? pair.decode : (pair.prefill ?? pair.decode)
        do {
            try network.run(input, inputStride: inputWidth, tokens: tokens, output: output, outputStride: outputWidth)
        } catch {
            // The forward pass cannot throw; a failing Arm NN mid-pass leaves no result to use.
            fatalError("\(w.name): \(error.description)")
        }
        return true
    }

    public func didCompute(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                           output: UnsafePointer<Float>, outputWidth: Int, tokens: Int) {}
}

extension ArmNNLinearBackend {
    /// The whole start-up of `--backend armnn`: measures every linear layer's activation
    /// ranges on `calibrationTokens` (windows of `window` tokens, first replaced by `bos`),
    /// builds the networks on `compute` and hands them `state`'s linear layers.
    @discardableResult
    public static func attach(to state: InferenceState, compute: [String], calibrationTokens: [Int32], window: Int,
                              bos: Int32?) throws(ArmNNError) -> ArmNNLinearBackend {
        let runtime = try ArmNNRuntime(compute: compute)
        guard !calibrationTokens.isEmpty else { throw ArmNNError("the calibration text has no tokens") }
        let ranges = LinearRangeRecorder.measure(state: state, tokens: calibrationTokens, window: window, bos: bos)
        let backend = try ArmNNLinearBackend(model: state.model, runtime: runtime, ranges: ranges, maxTokens: state.plan.rows)
        state.externalLinear = backend
        return backend
    }
}
