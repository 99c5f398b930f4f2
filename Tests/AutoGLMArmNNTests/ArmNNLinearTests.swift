import Testing
@testable import AutoGLMArmNN
import AutoGLMCore

/// One FullyConnected network on CpuRef against the int8 arithmetic it stands for,
/// computed here independently: q_x = clamp(round(x/s_x) + z_x), acc = Σ q_w·(q_x − z_x) + b,
/// y = s_y·(clamp(round(acc·s_x·s_w/s_y) + z_y) − z_y).
@Suite struct ArmNNLinearTests {
    struct Numbers {
        var state: UInt64
        mutating func next() -> Float {  // uniform in [−1, 1)
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
    }

    @Test(arguments: [(rows: 37, cols: 29, tokens: 3, batch: 5), (rows: 8, cols: 64, tokens: 1, batch: 1)])
    func fullyConnectedIsTheInt8ArithmeticItStandsFor(shape: (rows: Int, cols: Int, tokens: Int, batch: Int)) throws {
        let (rows, cols, tokens, batch) = shape
        var numbers = Numbers(state: UInt64(rows * 1000 + cols))
        let weightScale: Float = 0.01
        let q = (0..<(rows * cols)).map { _ in Int8((numbers.next() * 127).rounded()) }
        let weights = PerTensorInt8Weights(rows: rows, cols: cols, scale: weightScale, values: q)
        let input = Int8Quantization(min: -2, max: 3)
        let output = Int8Quantization(min: -6, max: 5)
        let bias = (0..<rows).map { _ in Int32(numbers.next() * 5000) }
        let stride = cols + 3  // strided rows, as the arena lays them out
        let x = (0..<(tokens * stride)).map { _ in numbers.next() * 3 }
        var y = [Float](repeating: .nan, count: tokens * (rows + 1))

        let runtime = try ArmNNRuntime(compute: ["CpuRef"])
        let network = try ArmNNLinear(runtime: runtime, weights: weights, bias: bias, input: input, output: output, batch: batch)
        try network.run(x, inputStride: stride, tokens: tokens, output: &y, outputStride: rows + 1)

        var mismatches = 0
        for t in 0..<tokens {
            for r in 0..<rows {
                var acc = Int(bias[r])
                for c in 0..<cols {
                    let qx = (Int((x[t * stride + c] / input.scale).rounded()) + Int(input.zeroPoint)).clamped(to: -128...127)
                    acc += Int(q[r * cols + c]) * (qx - Int(input.zeroPoint))
                }
                let real = Double(acc) * Double(input.scale) * Double(weightScale)
                let qy = (Int((real / Double(output.scale)).rounded()) + Int(output.zeroPoint)).clamped(to: -128...127)
                let expected = Float(qy - Int(output.zeroPoint)) * output.scale
                // Arm NN's reference backend accumulates dequantized floats: it may round a
                // value that sits on a half step the other way, never by more than one step.
                let got = y[t * (rows + 1) + r]
                #expect(abs(got - expected) <= output.scale * 1.001, "t \(t) r \(r): \(got) vs \(expected)")
                if got != expected { mismatches += 1 }
            }
            #expect(y[t * (rows + 1) + rows].isNaN, "wrote past the row")
        }
        #expect(mismatches * 20 <= tokens * rows, "\(mismatches) of \(tokens * rows) outputs off by a step")
    }

    /// Two runtimes alive at once, the first released before the second builds a
    /// network: Arm NN's backend registry is process-wide, and a released runtime must
    /// not take CpuRef away from the other (parallel tests did this).
    @Test func releasingOneRuntimeLeavesAnotherUsable() throws {
        var first: ArmNNRuntime? = try ArmNNRuntime(compute: ["CpuRef"])
        let second = try ArmNNRuntime(compute: ["CpuRef"])
        #expect(first != nil)
        first = nil
        let weights = PerTensorInt8Weights(rows: 2, cols: 2, scale: 1, values: [1, 2, 3, 4])
        let q = Int8Quantization(min: -4, max: 4)
        let network = try ArmNNLinear(runtime: second, weights: weights, bias: [0, 0], input: q, output: Int8Quantization(min: -40, max: 40), batch: 1)
        var y = [Float](repeating: .nan, count: 2)
        try network.run([1, 1], inputStride: 2, tokens: 1, output: &y, outputStride: 2)
        #expect(y.allSatisfy { !$0.isNaN })
    }

    @Test func runningMoreRowsThanTheNetworkWasBuiltForIsAnError() throws {
        let runtime = try ArmNNRuntime(compute: ["CpuRef"])
        let weights = PerTensorInt8Weights(rows: 2, cols: 2, scale: 1, values: [1, 2, 3, 4])
        let q = Int8Quantization(min: -1, max: 1)
        let network = try ArmNNLinear(runtime: runtime, weights: weights, bias: nil, input: q, output: q, batch: 2)
        var y = [Float](repeating: 0, count: 6)
        #expect(throws: ArmNNError.self) { try network.run([Float](repeating: 0, count: 6), inputStride: 2, tokens: 3, output: &y, outputStride: 2) }
    }

    @Test func aMissingComputeBackendNamesThePackageToInstall() {
        // CpuRef is the only compute backend Debian ships for x86; GpuAcc needs OpenCL.
        do {
            _ = try ArmNNRuntime(compute: ["CpuRef", "GpuAcc"])
            Issue.record("GpuAcc reported available")
        } catch {
            #expect(error.description.contains("GpuAcc not available"), "\(error.description)")
            #expect(error.description.contains("libarmnn-gpuacc-backend22"), "\(error.description)")
        }
    }
}
