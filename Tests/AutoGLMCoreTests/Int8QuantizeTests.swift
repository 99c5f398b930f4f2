import Testing
@testable import AutoGLMCore

/// `autoglm quantize --type int8 [--asymmetric]` on the fixtures: the file layout of
/// docs/int8-format.md, the error bound per element, and that the result runs.
@Suite struct Int8QuantizeTests {
    func quantize(_ input: GGUFFile, to type: TensorType, asymmetric: Bool = false, keep: [String] = [],
                  out: TemporaryPath) throws -> GGUFFile {
        var progress: [QuantizeProgress] = []
        try GGUFQuantizer.quantize(input: input, outputPath: out.path, type: type, keep: keep, asymmetric: asymmetric) {
            progress.append($0)
        }
        // One progress call per input tensor that is not a companion, numbered in order.
        let owners = input.tensors.filter { Int8Format.owner(ofCompanion: $0, in: input) == nil }
        #expect(progress.map(\.index) == Array(0..<owners.count))
        #expect(progress.allSatisfy { $0.count == owners.count })
        return try GGUFFile(path: out.path)
    }

    @Test(arguments: [false, true])
    func matricesBecomeInt8WithCompanions(asymmetric: Bool) throws {
        let f32 = try GGUFFile(path: Fixtures.path("models/glm4-f32.gguf"))
        let out = TemporaryPath("glm4-int8-\(asymmetric).gguf")
        let made = try quantize(f32, to: .int8, asymmetric: asymmetric, out: out)
        #expect(made.int(Int8Format.versionKey) == 1)
        #expect(made.int(GGUFQuantizer.fileTypeKey) == 1024)
        for t in f32.tensors {
            let m = try #require(made.tensor(named: t.name))
            if t.shape.count == 1 {
                #expect(m.type == .f32 && Array(made.bytes(for: m)) == Array(f32.bytes(for: t)), "\(t.name)")
                continue
            }
            // Rows that do not fill the 32-element activation blocks fall back to F16 (ffn_down: 200).
            guard t.rowElements % 32 == 0 else {
                #expect(m.type == .f16 && made.tensor(named: t.name + ".scale") == nil, "\(t.name)")
                continue
            }
            #expect(m.type == .int8 && m.shape == t.shape, "\(t.name)")
            #expect(made.tensor(named: t.name + ".scale")?.shape == [t.rowCount])
            #expect((made.tensor(named: t.name + ".zero_point") != nil) == asymmetric)
            let matrix = try Int8Format.matrix(m, in: made, rows: t.rowCount, cols: t.rowElements)
            let source = f32.data(for: t).assumingMemoryBound(to: Float.self)
            var row = [Float](repeating: .nan, count: t.rowElements)
            for r in 0..<t.rowCount {
                matrix.dequantizeRow(r, into: &row)
                let bound = matrix.rowScales![r] * (0.5 + 256 * Float.ulpOfOne)
                for c in 0..<t.rowElements where abs(row[c] - source[r * t.rowElements + c]) > bound {
                    Issue.record("\(t.name)[\(r), \(c)] off by more than scale/2")
                }
            }
        }
        let companions = made.tensors.count - f32.tensors.count
        let matrices = f32.tensors.filter { $0.shape.count == 2 && $0.rowElements % 32 == 0 }.count
        #expect(companions == matrices * (asymmetric ? 2 : 1))
    }

    /// The INT8 model runs, and stays near transformers' float64 logits on the original
    /// weights: per-row INT8 of these random weights plus int8 activations moves the
    /// fixture's logits (up to ~30) by well under 2 (measured in the message).
    @Test(arguments: [false, true])
    func int8ModelRunsCloseToF32(asymmetric: Bool) throws {
        let f32 = try GGUFFile(path: Fixtures.path("models/glm4-f32.gguf"))
        let out = TemporaryPath("glm4-int8-run-\(asymmetric).gguf")
        let model = try Model(gguf: try quantize(f32, to: .int8, asymmetric: asymmetric, out: out))
        #expect(model.tokenEmbedding.type == .int8)
        var expectedBytes = 0
        for t in model.gguf.tensors where t.shape.count == 2 || Int8Format.owner(ofCompanion: t, in: model.gguf) != nil {
            expectedBytes += t.byteCount
        }
        #expect(model.weightsBytes == expectedBytes, "weights plus every scale and zero point")
        let reference = try Fixtures.reference("glm4")
        let expected = try #require(reference.references["f32"])
        var runs: [GreedyRun] = []
        for (backend, threads) in [(Backend.reference, 1), (.emulation, 1), (.emulation, 3)] {
            let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 128, prefillChunk: 64, threads: threads),
                                           backend: backend)
            runs.append(GreedyRun(state: state, prompt: reference.prompt_ids, steps: 8))
        }
        #expect(runs[0].logitsHash == runs[1].logitsHash && runs[1].logitsHash == runs[2].logitsHash,
                "reference, emulation and 3 threads give the same bits")
        let diff = ModelFixtureTests.maxAbsDifference(runs[1].firstLogits, expected.first_logits)
        #expect(diff < 2, "max |Δlogit| = \(diff)")
    }

    /// INT8 input: to F16 through its scales (companions and version key dropped); to
    /// INT8 again, copied with its companions.
    @Test func int8InputIsDequantizedOrCopiedWithCompanions() throws {
        let f32 = try GGUFFile(path: Fixtures.path("models/qwen2-f32.gguf"))
        let int8Path = TemporaryPath("qwen2-int8.gguf")
        let int8 = try quantize(f32, to: .int8, asymmetric: true, out: int8Path)

        let f16Path = TemporaryPath("qwen2-int8-f16.gguf")
        let f16 = try quantize(int8, to: .f16, out: f16Path)
        #expect(f16.tensors.count == f32.tensors.count)
        #expect(f16.metadata[Int8Format.versionKey] == nil)
        let t = try #require(int8.tensor(named: "blk.0.ffn_down.weight"))
        let matrix = try Int8Format.matrix(t, in: int8, rows: t.rowCount, cols: t.rowElements)
        let half = try #require(f16.tensor(named: t.name))
        #expect(half.type == .f16)
        var row = [Float](repeating: 0, count: t.rowElements)
        for r in 0..<t.rowCount {
            matrix.dequantizeRow(r, into: &row)
            for c in 0..<t.rowElements {
                let got = f16.data(for: half).loadUnaligned(fromByteOffset: 2 * (r * t.rowElements + c), as: UInt16.self)
                #expect(got == HalfFloat.fromFloat(row[c]))
            }
        }

        let againPath = TemporaryPath("qwen2-int8-again.gguf")
        let again = try quantize(int8, to: .int8, out: againPath)
        #expect(again.tensors.map(\.name) == int8.tensors.map(\.name))
        for t in int8.tensors {
            #expect(Array(again.bytes(for: again.tensor(named: t.name)!)) == Array(int8.bytes(for: t)), "\(t.name)")
        }
    }

    /// An I8 tensor without its scale is refused before anything is written.
    @Test func int8InputWithoutScaleIsRefused() throws {
        var b = GGUFBuilder()
        b.metadata.append((Int8Format.versionKey, .u32(1)))
        b.addTensor("w", shape: [32, 2], type: .int8)
        let gguf = try parseGGUF(b.bytes())
        let out = TemporaryPath("bad-int8.gguf")
        #expect(throws: CoreError.model(.missingTensor(name: "w.scale"))) {
            try GGUFQuantizer.quantize(input: gguf, outputPath: out.path, type: .f16, keep: []) { _ in }
        }
        #expect(!out.temporaryExists && !out.exists)
    }
}
