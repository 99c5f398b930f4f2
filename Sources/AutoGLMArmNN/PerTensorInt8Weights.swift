import AutoGLMCore

/// A weight matrix as Arm NN 20.08's FullyConnected takes it: int8 with one scale for the
/// whole tensor, symmetric (zero point 0), W ≈ scale · q. Per-output-channel scales would
/// fit each row's own range; the cost of sharing one is measured in BENCHMARKS.md.
public struct PerTensorInt8Weights {
    public let rows: Int
    public let cols: Int
    public let scale: Float
    public let values: [Int8]  // [rows × cols] row-major

    public init(rows: Int, cols: Int, scale: Float, values: [Int8]) {
        precondition(values.count == rows * cols, "values must be rows × cols")
        self.rows = rows
        self.cols = cols
        self.scale = scale
        self.values = values
    }

    /// Quantizes any stored type (F32, F16, BF16, Q8_0, Q4_0) through its float values.
    public init(_ w: WeightMatrix) {
        rows = w.rows
        cols = w.cols
        var floats = [Float](repeating: 0, count: w.rows * w.cols)
        floats.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<w.rows { w.dequantizeRow(r, into: buffer.baseAddress! + r * w.cols) }
        }
        let absMax = floats.reduce(Float(0)) { max($0, abs($1)) }
        let scale = absMax > 0 ? absMax / 127 : 1
        self.scale = scale
        values = floats.map { Int8(($0 / scale).rounded().clamped(to: -127...127)) }
    }

    /// The float bias at the accumulator's scale (input · weight), as FullyConnected adds it.
    public func int32Bias(_ bias: UnsafePointer<Float>, inputScale: Float) -> [Int32] {
        let accumulatorScale = Double(inputScale) * Double(scale)
        return (0..<rows).map { r in
            Int32((Double(bias[r]) / accumulatorScale).rounded().clamped(to: Double(Int32.min)...Double(Int32.max)))
        }
    }
}
