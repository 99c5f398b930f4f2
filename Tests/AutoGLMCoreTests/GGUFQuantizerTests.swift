import Foundation
import Testing
@testable import AutoGLMCore

/// Whole-file quantization (what `autoglm quantize` runs) against llama.cpp's converter
/// output and the model references.
@Suite struct GGUFQuantizerTests {
    func quantize(_ input: String, to type: TensorType, keep: [String] = [], out: TemporaryPath) throws -> (GGUFFile, QuantizeSummary) {
        let gguf = try GGUFFile(path: Fixtures.path("models/\(input).gguf"))
        var seen: [Int] = []
        let summary = try GGUFQuantizer.quantize(input: gguf, outputPath: out.path, type: type, keep: keep) { seen.append($0.index) }
        #expect(seen == Array(0..<gguf.tensors.count))
        #expect(!out.temporaryExists)
        return (try GGUFFile(path: out.path), summary)
    }

    /// llama-f32 → q8_0 gives the converter's llama-q8_0.gguf: every tensor's type, shape
    /// and bytes, and the same metadata with general.file_type 7; in fact the whole file.
    @Test func llamaF32ToQ8_0EqualsConverterOutput() throws {
        let out = TemporaryPath("llama-q8_0.gguf")
        let (made, summary) = try quantize("llama-f32", to: .q8_0, out: out)
        let reference = try GGUFFile(path: Fixtures.path("models/llama-q8_0.gguf"))
        #expect(made.tensors.count == reference.tensors.count)
        for t in reference.tensors {
            let m = try #require(made.tensor(named: t.name))
            #expect(m.type == t.type && m.shape == t.shape, "\(t.name)")
            #expect(Array(made.bytes(for: m)) == Array(reference.bytes(for: t)), "\(t.name) bytes")
        }
        #expect(made.metadataEntries == reference.metadataEntries)
        #expect(made.int(GGUFQuantizer.fileTypeKey) == 7)
        let f32 = try GGUFFile(path: Fixtures.path("models/llama-f32.gguf"))
        #expect(f32.int(GGUFQuantizer.fileTypeKey) == 0)
        let madeBytes = UnsafeRawBufferPointer(start: made.file.base, count: made.file.count)
        let referenceBytes = UnsafeRawBufferPointer(start: reference.file.base, count: reference.file.count)
        #expect(madeBytes.elementsEqual(referenceBytes), "whole file equals llama-q8_0.gguf")
        #expect(summary.outputBytes == reference.file.count && summary.inputBytes == f32.file.count)
        let counts = Dictionary(uniqueKeysWithValues: summary.tensorsByType.map { ($0.type, $0.tensors) })
        #expect(counts == [.f32: 6, .q8_0: 14, .f16: 2])
    }

    /// glm4-f32 → f16 loads and decodes greedily exactly as the f16 reference says.
    @Test func glm4F32ToF16GeneratesTheF16Reference() throws {
        let out = TemporaryPath("glm4-f16.gguf")
        let (made, _) = try quantize("glm4-f32", to: .f16, out: out)
        #expect(made.int(GGUFQuantizer.fileTypeKey) == 1)
        let reference = try Fixtures.reference("glm4")
        let expected = try #require(reference.references["f16"])
        let model = try Model(gguf: made)
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 128, prefillChunk: 64, threads: 1),
                                       backend: .emulation)
        let run = GreedyRun(state: state, prompt: reference.prompt_ids, steps: expected.greedy_ids.count)
        #expect(run.tokens == expected.greedy_ids)
    }

    /// Every family's f16 file from its f32 file, and from its q8_0 file (dequantized first).
    @Test(arguments: Fixtures.families)
    func f16FromF32EqualsConverterAndQ8_0InputIsDequantized(family: String) throws {
        let out = TemporaryPath("\(family)-f16.gguf")
        let (made, _) = try quantize("\(family)-f32", to: .f16, out: out)
        let reference = try GGUFFile(path: Fixtures.path("models/\(family)-f16.gguf"))
        for t in reference.tensors {
            let m = try #require(made.tensor(named: t.name))
            #expect(m.type == t.type && Array(made.bytes(for: m)) == Array(reference.bytes(for: t)), "\(family) \(t.name)")
        }
        #expect(made.metadataEntries == reference.metadataEntries)

        let fromQ8 = TemporaryPath("\(family)-q8-f16.gguf")
        let (requantized, _) = try quantize("\(family)-q8_0", to: .f16, out: fromQ8)
        let q8 = try GGUFFile(path: Fixtures.path("models/\(family)-q8_0.gguf"))
        for t in q8.tensors {
            let m = try #require(requantized.tensor(named: t.name))
            #expect(m.type == (t.shape.count == 1 ? .f32 : .f16))
            var floats = [Float](repeating: 0, count: t.elementCount)
            dequantize(type: t.type, q8.data(for: t), count: t.elementCount, into: &floats)
            let got = requantized.bytes(for: m)
            for i in stride(from: 0, to: t.elementCount, by: 7) where m.type == .f16 {
                #expect(got.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) == HalfFloat.fromFloat(floats[i]))
            }
        }
    }

    @Test func keepPatternsKeepInputBytes() throws {
        let out = TemporaryPath("llama-keep.gguf")
        let keep = ["token_embd.weight", "blk.*.ffn_gate.weight"]
        let (made, summary) = try quantize("llama-f32", to: .q8_0, keep: keep, out: out)
        let f32 = try GGUFFile(path: Fixtures.path("models/llama-f32.gguf"))
        for name in ["token_embd.weight", "blk.0.ffn_gate.weight", "blk.1.ffn_gate.weight"] {
            let m = try #require(made.tensor(named: name))
            let t = try #require(f32.tensor(named: name))
            #expect(m.type == .f32 && Array(made.bytes(for: m)) == Array(f32.bytes(for: t)), "\(name)")
        }
        #expect(made.tensor(named: "blk.0.ffn_up.weight")?.type == .q8_0)
        #expect(made.tensor(named: "output.weight")?.type == .q8_0)
        // 3 kept by pattern + 6 one-dimensional tensors already F32.
        #expect(summary.kept == 9)
    }

    @Test func globPatterns() {
        #expect(GGUFQuantizer.globMatches("blk.12.ffn_down.weight", pattern: "blk.*.ffn_down.weight"))
        #expect(GGUFQuantizer.globMatches("token_embd.weight", pattern: "token_embd.weight"))
        #expect(GGUFQuantizer.globMatches("anything", pattern: "*"))
        #expect(GGUFQuantizer.globMatches("a.b.c", pattern: "a*c"))
        #expect(GGUFQuantizer.globMatches("aXbYb", pattern: "a*b"))
        #expect(!GGUFQuantizer.globMatches("token_embd.weight", pattern: "token_embd"))
        #expect(!GGUFQuantizer.globMatches("blk.1.ffn_up.weight", pattern: "blk.*.ffn_down.weight"))
        #expect(!GGUFQuantizer.globMatches("", pattern: "a*"))
    }

    @Test func typeNames() throws {
        #expect(try GGUFQuantizer.targetType(named: "q8_0") == .q8_0)
        #expect(try GGUFQuantizer.targetType(named: "bf16") == .bf16)
        #expect(throws: CoreError.invalidArgument(name: "quantization type", value: "q5_k",
                                                  reason: "supported: f32, f16, bf16, q8_0, int8")) {
            try GGUFQuantizer.targetType(named: "q5_k")
        }
    }

    /// BF16 output: general.file_type 32, matrices BF16 with ggml's rounding, norms F32.
    @Test func bf16Output() throws {
        let out = TemporaryPath("qwen2-bf16.gguf")
        let (made, _) = try quantize("qwen2-f32", to: .bf16, out: out)
        let f32 = try GGUFFile(path: Fixtures.path("models/qwen2-f32.gguf"))
        #expect(made.int(GGUFQuantizer.fileTypeKey) == 32)
        for t in f32.tensors {
            let m = try #require(made.tensor(named: t.name))
            #expect(m.type == (t.shape.count == 1 ? .f32 : .bf16))
            guard m.type == .bf16 else { continue }
            let src = f32.data(for: t)
            let got = made.bytes(for: m)
            for i in 0..<t.elementCount {
                let bits = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
                #expect(got.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self) == TensorQuantizer.bf16FromFloat(bits))
            }
        }
    }
}
