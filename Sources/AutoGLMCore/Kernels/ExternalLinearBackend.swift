/// A linear-layer engine outside Core (the Arm NN backend, or a calibration pass that
/// watches every layer). Set on `InferenceState.externalLinear` after start-up; when it is
/// nil the forward pass pays one nil check per linear layer and nothing else.
///
/// Class-bound so that Embedded Swift can hold it as an existential (DESIGN.md: no
/// existentials of non-class protocols in Core).
public protocol ExternalLinearBackend: AnyObject {
    /// out[t·outputWidth + r] = W[r]·input[t·inputWidth …] + bias[r] for t < tokens, or
    /// returns false to leave the layer (and its bias) to Core's kernels.
    func linear(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                output: UnsafeMutablePointer<Float>, outputWidth: Int, tokens: Int) -> Bool

    /// Called after every linear layer, whoever computed it, with its input and its output
    /// (bias included).
    func didCompute(_ w: WeightMatrix, input: UnsafePointer<Float>, inputWidth: Int,
                    output: UnsafePointer<Float>, outputWidth: Int, tokens: Int)
}
