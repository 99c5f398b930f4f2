import Foundation
import Testing
@testable import AutoGLM

/// Calibration into GGUF metadata, sensitivity and auto-mixed precision on a fixture model.
@Suite struct QuantizationToolingTests {
    static let fixture = FixturePaths.path("models/glm4-f32.gguf")

    /// A deterministic token stream over the fixture's vocabulary.
    static func windows(count: Int, context: Int, vocab: Int) -> TextWindows {
        TextWindows(tokens: (0..<(count * context)).map { Int32(($0 * 37 + 11) % vocab) }, context: context, bos: nil)
    }

    static func state(_ model: Model, context: Int, chunk: Int) throws -> InferenceState {
        try InferenceState(model: model, limits: RuntimeLimits(maxContext: context, prefillChunk: chunk), backend: .emulation)
    }

    @Test func calibratedScalesTravelIntoTheQuantizedFile() throws {
        let model = try Model(path: Self.fixture)
        let calibrator = ActivationCalibrator(layerCount: model.config.layerCount)
        let windows = Self.windows(count: 2, context: 16, vocab: model.config.vocabularySize)
        calibrator.run(state: try Self.state(model, context: 16, chunk: 1), windows: windows, maxWindows: nil) { _, _ in }
        let sites = calibrator.report(model: model, percentile: 99.9)
        #expect(sites.count == model.config.layerCount * 4 + 1)
        let output = sites.last!
        #expect(output.tensors == ["output.weight"] && output.statistics.rows == 32)  // chunk 1: every position
        #expect(sites[3].statistics.count == 32 * model.config.feedForwardLength)    // blk.0 down input
        for s in sites {
            #expect(s.statistics.min < 0 || s.site == "ffn_down_input")
            #expect(s.statistics.mseClip <= Double(s.statistics.absoluteMax) + s.statistics.mseClip / 4096 * 2)
            #expect(s.statistics.percentileAbs <= Double(s.statistics.absoluteMax) * 1.001)
        }
        let report = CalibrationReport(model: Self.fixture, text: "-", context: 16, windows: 2, tokens: 32, percentile: 99.9,
                                       histogramBins: 4096, sites: sites)
        let entries = try report.metadataEntries(tensorNames: Set(model.gguf.tensors.map(\.name)))
        let out = FixturePaths.temporary("calibrated.gguf")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try GGUFQuantizer.quantize(input: model.gguf, outputPath: out, type: .q8_0, keep: [], addingMetadata: entries) { _ in }
        let written = try GGUFFile(path: out)
        for s in sites {
            for t in s.tensors {
                let range = try #require(try written.staticActivationRange(tensor: t))
                #expect(range.scale == Float(s.statistics.activationScale))
                #expect(range.min == s.statistics.min && range.max == s.statistics.max)
            }
        }
        // Quantizing the calibrated file again replaces the ranges instead of duplicating keys.
        let again = FixturePaths.temporary("again.gguf")
        defer { try? FileManager.default.removeItem(atPath: again) }
        try GGUFQuantizer.quantize(input: written, outputPath: again, type: .q8_0, keep: [], addingMetadata: entries) { _ in }
        #expect(try GGUFFile(path: again).staticActivationRange(tensor: "blk.1.ffn_down.weight") != nil)
        // Statistics naming tensors the model lacks are refused.
        #expect(throws: (any Error).self) { try report.metadataEntries(tensorNames: ["output.weight"]) }
    }

    func analysis(_ model: Model, target: TensorType) -> SensitivityAnalysis {
        SensitivityAnalysis(modelPath: Self.fixture, input: model, target: target,
                            windows: Self.windows(count: 2, context: 16, vocab: model.config.vocabularySize), maxWindows: 2,
                            limits: RuntimeLimits(maxContext: 16, prefillChunk: 16), backend: .emulation,
                            scratchDirectory: FileManager.default.temporaryDirectory.path)
    }

    @Test func sensitivityListsEveryQuantizableGroup() throws {
        let model = try Model(path: Self.fixture)
        let groups = TensorGroup.quantizable(in: model.gguf, layerCount: 2, target: .q8_0)
        #expect(groups.map(\.name) == ["blk.0.attn_qkv", "blk.0.attn_output", "blk.0.ffn_gate_up", "blk.0.ffn_down",
                                       "blk.1.attn_qkv", "blk.1.attn_output", "blk.1.ffn_gate_up", "blk.1.ffn_down",
                                       "output", "token_embd"])
        #expect(groups[2].tensors == ["blk.0.ffn_up.weight"])  // GLM-4: fused gate/up
        let report = try analysis(model, target: .q8_0).run(groups: groups, targetName: "q8_0") { _ in }
        #expect(report.groups.count == groups.count)
        #expect(Set(report.groups.map(\.group.name)) == Set(groups.map(\.name)))
        #expect(report.scoredTokens == 2 * 7)
        for (a, b) in zip(report.groups, report.groups.dropFirst()) { #expect(a.klDivergence >= b.klDivergence) }
        for g in report.groups {
            #expect(g.klDivergence > 0, "\(g.group.name): quantizing changes the distribution")
            #expect(g.quantizedBytes < g.inputBytes)
        }
        // The ffn_down rows (200) do not fill Q8_0 blocks: that group falls back to F16.
        let down = try #require(report.groups.first { $0.group.name == "blk.0.ffn_down" })
        #expect(down.quantizedBytes == down.inputBytes / 2)
    }

    /// F16 → F32 changes every matrix's type but no value: the analysis must see no change.
    @Test func exactConversionHasZeroSensitivity() throws {
        let model = try Model(path: FixturePaths.path("models/glm4-f16.gguf"))
        let groups = TensorGroup.quantizable(in: model.gguf, layerCount: 2, target: .f32)
        #expect(groups.count == 10)
        let report = try analysis(model, target: .f32).run(groups: Array(groups.prefix(3)), targetName: "f32") { _ in }
        for g in report.groups {
            #expect(g.klDivergence < 1e-9, "\(g.group.name)")
            #expect(abs(g.perplexityChange) < 1e-6 * report.perplexity)
        }
    }

    @Test func autoMixedKeepsSensitiveGroupsThatFitInRankingOrder() throws {
        let model = try Model(path: Self.fixture)
        let dir = FileManager.default.temporaryDirectory.path
        let q = dir + "/\(UUID().uuidString)-q.gguf", h = dir + "/\(UUID().uuidString)-h.gguf"
        defer { for p in [q, h] { try? FileManager.default.removeItem(atPath: p) } }
        try GGUFQuantizer.quantize(input: model.gguf, outputPath: q, type: .q8_0, keep: []) { _ in }
        try GGUFQuantizer.quantize(input: model.gguf, outputPath: h, type: .f16, keep: []) { _ in }
        let qf = try GGUFFile(path: q), hf = try GGUFFile(path: h)
        let groups = TensorGroup.quantizable(in: model.gguf, layerCount: 2, target: .q8_0)
        let ranking = [groups[8], groups[0], groups[1]]  // output (big), blk.0.attn_qkv, blk.0.attn_output
        // Output grows 64·419 values from 34/32 to 2 bytes each: 107264/2 − 419·2·34 = 25136 (+ alignment).
        let all = AutoMixedPrecision.choose(ranking: ranking, quantized: qf, f16: hf, budget: Int.max)
        #expect(all.keptF16 == ranking)
        #expect(all.quantizedBytes == qf.file.count)
        // Q/K/V grow by (160 + 80 + 80) rows × 64 × (2 − 34/32) bytes = 19200: they fit in 25000 once
        // the output (too big) is skipped; the attention output (+9600) then no longer does.
        let tight = AutoMixedPrecision.choose(ranking: ranking, quantized: qf, f16: hf, budget: qf.file.count + 25_000)
        #expect(tight.keptF16.map(\.name) == ["blk.0.attn_qkv"])
        #expect(tight.predictedBytes == qf.file.count + 19_200)
        let roomy = AutoMixedPrecision.choose(ranking: ranking, quantized: qf, f16: hf, budget: qf.file.count + 30_000)
        #expect(roomy.keptF16.map(\.name) == ["output"])
        #expect(roomy.predictedBytes > qf.file.count + 25_000 && roomy.predictedBytes <= qf.file.count + 30_000)
    }

    @Test func rankingCriteria() {
        func entry(_ name: String, kl: Double, change: Double) -> GroupSensitivity {
            GroupSensitivity(group: TensorGroup(name: name, tensors: [name]), klDivergence: kl, perplexity: 10 + change,
                             perplexityChange: change, inputBytes: 4, quantizedBytes: 1)
        }
        let report = SensitivityReport(model: "m", type: "int8", context: 8, windows: 1, scoredTokens: 3, perplexity: 10,
                                       groups: [entry("a", kl: 3, change: -0.5), entry("b", kl: 2, change: 0.1), entry("c", kl: 1, change: 0.3)])
        #expect(AutoMixedPrecision.ranking(report, by: .kl).map(\.name) == ["a", "b", "c"])
        #expect(AutoMixedPrecision.ranking(report, by: .perplexity).map(\.name) == ["c", "b"])  // a lowered perplexity
    }

    @Test func sizesParse() {
        #expect(AutoMixedPrecision.parseSize("6MB") == 6_000_000)
        #expect(AutoMixedPrecision.parseSize("6000000") == 6_000_000)
        #expect(AutoMixedPrecision.parseSize("5.5MiB") == 5_767_168)
        #expect(AutoMixedPrecision.parseSize("800 KB") == 800_000)
        #expect(AutoMixedPrecision.parseSize("1GiB") == 1_073_741_824)
        #expect(AutoMixedPrecision.parseSize("-3MB") == nil)
        #expect(AutoMixedPrecision.parseSize("MB") == nil)
        #expect(AutoMixedPrecision.parseSize("6XB") == nil)
    }
}
