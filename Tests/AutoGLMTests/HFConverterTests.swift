import Foundation
import Testing
@testable import AutoGLM

/// Tests/Fixtures/hf/<family> hold the weights and tokenizer of models/<family>-f32.gguf
/// as Hugging Face folders (tools/make_hf_fixtures.py checked that llama.cpp's converter
/// turns each into exactly that GGUF). Our converter must produce the same file contents.
@Suite struct HFConverterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static func path(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }
    static let families = ["llama", "qwen2", "glm", "glm4"]

    /// Keys whose values depend on how the converter was called, not on the model.
    static let ignoredKeys: Set<String> = ["general.name", "general.size_label"]

    func convert(_ family: String) throws -> (GGUFFile, TemporaryFile) {
        let out = TemporaryFile("\(family)-hf.gguf")
        try HFConverter(folder: Self.path("hf/\(family)")).writeGGUF(to: out.path)
        return (try GGUFFile(path: out.path), out)
    }

    @Test(arguments: families)
    func convertsToTheLlamaCppFixture(family: String) throws {
        let (made, file) = try convert(family)
        _ = file
        let reference = try GGUFFile(path: Self.path("models/\(family)-f32.gguf"))
        #expect(Set(made.tensors.map(\.name)) == Set(reference.tensors.map(\.name)))
        for t in reference.tensors {
            let m = try #require(made.tensor(named: t.name))
            #expect(m.type == t.type && m.shape == t.shape, "\(family) \(t.name)")
            #expect(Array(made.bytes(for: m)) == Array(reference.bytes(for: t)), "\(family) \(t.name) bytes")
        }
        let ours = made.metadataEntries.filter { !Self.ignoredKeys.contains($0.key) }
        let theirs = reference.metadataEntries.filter { !Self.ignoredKeys.contains($0.key) }
        #expect(ours.map(\.key) == theirs.map(\.key), "\(family) metadata keys in order")
        for (a, b) in zip(ours, theirs) where a != b {
            Issue.record("\(family) metadata \(a.key): \(a.value.summary) (\(a.type)) vs \(b.value.summary) (\(b.type))")
        }
    }

    /// Same tokens for text with specials, and the same greedy run and logits bits.
    @Test(arguments: families)
    func tokenizesAndRunsLikeTheFixture(family: String) throws {
        let (made, file) = try convert(family)
        _ = file
        let reference = try GGUFFile(path: Self.path("models/\(family)-f32.gguf"))
        let text = "The quick brown fox 前方车辆 <|endoftext|> 12345 🚗\n\tdon't"
        let a = try Tokenizer(gguf: made), b = try Tokenizer(gguf: reference)
        #expect(a.encode(text) == b.encode(text))
        var hashes: [UInt64] = []
        for gguf in [made, reference] {
            let state = try InferenceState(model: try Model(gguf: gguf), limits: RuntimeLimits(maxContext: 64, prefillChunk: 8),
                                           backend: .emulation)
            let prompt: [Int32] = [5, 17, 42, 99, 7]
            prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for i in 0..<state.config.vocabularySize { h = (h ^ UInt64(state.logits[i].bitPattern)) &* 0x100_0000_01b3 }
            hashes.append(h)
        }
        #expect(hashes[0] == hashes[1])
    }

    /// What `quantize --model HF_DIR --type q8_0` does: the converted file quantized gives
    /// llama.cpp's q8_0 file of the same folder (tensor bytes and metadata).
    @Test(arguments: families)
    func quantizedFromTheFolderEqualsLlamaCppQ8_0(family: String) throws {
        let (converted, file) = try convert(family)
        _ = file
        let out = TemporaryFile("\(family)-hf-q8_0.gguf")
        try GGUFQuantizer.quantize(input: converted, outputPath: out.path, type: .q8_0, keep: []) { _ in }
        let made = try GGUFFile(path: out.path)
        let reference = try GGUFFile(path: Self.path("models/\(family)-q8_0.gguf"))
        for t in reference.tensors {
            let m = try #require(made.tensor(named: t.name))
            #expect(m.type == t.type && Array(made.bytes(for: m)) == Array(reference.bytes(for: t)), "\(family) \(t.name)")
        }
        #expect(made.metadataEntries.filter { !Self.ignoredKeys.contains($0.key) }
                == reference.metadataEntries.filter { !Self.ignoredKeys.contains($0.key) })
    }

    /// HF Llama rotates halves of each head, llama.cpp adjacent pairs: rows (h, j·n/2 + i) → (h, 2i + j).
    @Test func llamaRowPermutationByHand() {
        // 2 heads of 4 rows, 1 column: rows 0 1 2 3 | 4 5 6 7 → 0 2 1 3 | 4 6 5 7.
        let out = HFConverter.permuteRotaryPairs([0, 1, 2, 3, 4, 5, 6, 7], rows: 8, cols: 1, heads: 2)
        #expect(out == [0, 2, 1, 3, 4, 6, 5, 7])
    }
}

/// A fresh path in the temporary directory, removed (with the writer's .tmp) when done.
final class TemporaryFile {
    let path: String
    init(_ name: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }
    deinit {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: path + ".tmp")
    }
}
