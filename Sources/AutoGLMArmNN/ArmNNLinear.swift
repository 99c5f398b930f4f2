import CAutoGLMArmNN

/// The static quantization of one tensor: real = scale · (q − zeroPoint), q in int8.
public struct Int8Quantization: Equatable {
    public var scale: Float
    public var zeroPoint: Int32

    /// Asymmetric int8 covering [min, max] (widened to contain 0, which must be exact:
    /// padding and ReLU-like zeros stay zero).
    public init(min: Float, max: Float) {
        let lo = Swift.min(min, 0)
        let hi = Swift.max(max, 0)
        let span = hi - lo
        scale = span > 0 ? span / 255 : 1
        zeroPoint = Int32((-128 - lo / scale).rounded()).clamped(to: -128...127)
    }

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}

/// One loaded Arm NN network computing y = W·x + b for batches of up to `batch` rows.
final class ArmNNLinear {
    let handle: OpaquePointer
    let rows: Int
    let cols: Int
    let batch: Int
    private let runtime: ArmNNRuntime  // the network lives in it

    init(runtime: ArmNNRuntime, weights: PerTensorInt8Weights, bias: [Int32]?, input: Int8Quantization,
         output: Int8Quantization, batch: Int) throws(ArmNNError) {
        self.runtime = runtime
        rows = weights.rows
        cols = weights.cols
        self.batch = batch
        handle = try withErrorBuffer { error, capacity in
            weights.values.withUnsafeBufferPointer { w in
                withOptionalPointer(bias) { b in
                    var spec = AutoGLMArmNNLinearSpec(
                        rows: Int32(weights.rows), cols: Int32(weights.cols), batch: Int32(batch),
                        weights: w.baseAddress, weightScale: weights.scale, bias: b,
                        inputScale: input.scale, inputZeroPoint: input.zeroPoint,
                        outputScale: output.scale, outputZeroPoint: output.zeroPoint)
                    return autoglm_armnn_linear_create(runtime.handle, &spec, error, capacity)
                }
            }
        }
    }

    deinit { autoglm_armnn_linear_destroy(handle) }

    /// out[t·outStride + r] for t < tokens ≤ batch.
    func run(_ input: UnsafePointer<Float>, inputStride: Int, tokens: Int, output: UnsafeMutablePointer<Float>,
             outputStride: Int) throws(ArmNNError) {
        _ = try withErrorBuffer { error, capacity -> Bool? in
            autoglm_armnn_linear_run(handle, input, Int32(inputStride), Int32(tokens), output, Int32(outputStride),
                                     error, capacity) == 1 ? true : nil
        }
    }
}

private func withOptionalPointer<R>(_ array: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
