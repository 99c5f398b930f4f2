@testable import AutoGLMArmNN
import AutoGLMCore
import Foundation
import Testing

/// Whole models with their linear layers on Arm NN's CpuRef, against the same models on
/// the emulation backend (which runs the linear layers in float for F32 files).
@Suite(.serialized) struct ArmNNModelTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func greedy(_ state: InferenceState, prompt: [Int32], tokens: Int) throws -> [Int32] {
        let generator = try Generator(state: state, sampling: SamplerConfig(temperature: 0))
        return try generator.generate(prompt: prompt, maxNewTokens: tokens).tokens
    }

    static func leadingAgreement(_ a: [Int32], _ b: [Int32]) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }

    /// The fixtures' prompts, with calibration on a different, fixed token stream (every
    /// 7th id of the vocabulary), so the scales are not fitted to the text under test.
    @Test(arguments: ["llama", "qwen2", "glm", "glm4"])
    func greedyTokensAgreeWithEmulationOnTheFixtures(family: String) throws {
        let path = Self.repository.appendingPathComponent("Tests/Fixtures/models/\(family)-f32.gguf").path
        let reference = try JSONDecoder().decode(FixturePrompt.self, from: Data(contentsOf: Self.repository
            .appendingPathComponent("Tests/Fixtures/models/\(family).reference.json")))
        let model = try Model(path: path)
        let limits = RuntimeLimits(maxContext: 128, prefillChunk: 16, threads: 1)
        let steps = 12
        let emulation = try Self.greedy(try InferenceState(model: model, limits: limits, backend: .emulation),
                                        prompt: reference.prompt_ids, tokens: steps)

        let state = try InferenceState(model: model, limits: limits, backend: .emulation)
        let vocab = model.config.vocabularySize
        let calibration = (0..<96).map { Int32(($0 * 7 + 1) % vocab) }
        let backend = try ArmNNLinearBackend.attach(to: state, compute: ["CpuRef"], calibrationTokens: calibration,
                                                    window: 48, bos: nil)
        #expect(backend.networkCount == 2 * ArmNNLinearBackend.linearLayers(of: model).count)
        let armnn = try Self.greedy(state, prompt: reference.prompt_ids, tokens: steps)
        let agreed = Self.leadingAgreement(armnn, emulation)
        #expect(agreed >= 8, "\(family): armnn \(armnn) vs emulation \(emulation): \(agreed) leading tokens agree")
    }

    struct FixturePrompt: Decodable { let prompt_ids: [Int32] }

    /// A complete `generate` (tokenizer, prefill, decode, detokenization) on the bundled
    /// model with every linear layer on CpuRef, calibrated on its calibration text.
    @Test func wholeGenerationOnTheBundledModelThroughCpuRef() throws {
        let model = try Model(path: Self.repository.appendingPathComponent("Models/glm4-kjv-7m-f32.gguf").path)
        let tokenizer = try Tokenizer(gguf: model.gguf)
        let limits = RuntimeLimits(maxContext: 256, prefillChunk: 32, threads: 1)
        let prompt = tokenizer.encode("And God said unto Moses,", addBos: tokenizer.addBosDefault)
        let steps = 16
        let emulation = try Self.greedy(try InferenceState(model: model, limits: limits, backend: .emulation),
                                        prompt: prompt, tokens: steps)

        let state = try InferenceState(model: model, limits: limits, backend: .emulation)
        let text = try String(contentsOf: Self.repository.appendingPathComponent("Models/default-calibration.txt"), encoding: .utf8)
        let calibration = Array(tokenizer.encode(text, addBos: true).prefix(256))
        try ArmNNLinearBackend.attach(to: state, compute: ["CpuRef"], calibrationTokens: calibration, window: 128,
                                      bos: tokenizer.bosTokenId)
        let generator = try Generator(state: state, sampling: SamplerConfig(temperature: 0))
        var streamed = StreamingDetokenizer(tokenizer: tokenizer)
        var shown = ""
        let result = try generator.generate(prompt: prompt, maxNewTokens: steps,
                                            isEndOfGeneration: { tokenizer.isEndOfGeneration($0) },
                                            onToken: { shown += streamed.push($0); return true })
        shown += streamed.flush()
        #expect(result.tokens.count == steps && result.finishReason == .length)
        #expect(shown == tokenizer.decode(result.tokens))
        #expect(shown.contains(" "), "\(shown)")
        let agreed = Self.leadingAgreement(result.tokens, emulation)
        #expect(agreed >= 8, "armnn \(tokenizer.decode(result.tokens)) | emulation \(tokenizer.decode(emulation))")
    }
}

/// Input scales: the calibrated one stored in the GGUF wins over the range measured at start-up.
@Suite struct ArmNNInputScaleTests {
    @Test func aStoredCalibratedScaleReplacesTheMeasuredRange() throws {
        let source = try GGUFFile(path: ArmNNModelTests.repository.appendingPathComponent("Tests/Fixtures/models/glm4-f32.gguf").path)
        let stored = StaticActivationRange(scale: 0.0375, clip: 4.7625, min: -3, max: 5)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("armnn-ranges-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        try GGUFQuantizer.quantize(input: source, outputPath: out, type: .f32, keep: [],
                                   addingMetadata: GGUFFile.activationRangeEntries(tensor: "blk.0.attn_q.weight", range: stored),
                                   progress: { _ in })
        let model = try Model(path: out)
        var measured = LinearRange()
        measured.inputMin = -1
        measured.inputMax = 2
        let q = try ArmNNLinearBackend.inputQuantization(model.layers[0].wq, model: model, measured: measured)
        #expect(q == Int8Quantization(scale: 0.0375, zeroPoint: 0))
        let k = try ArmNNLinearBackend.inputQuantization(model.layers[0].wk, model: model, measured: measured)
        #expect(k == Int8Quantization(min: -1, max: 2))
        #expect(k.zeroPoint != 0)
    }
}
