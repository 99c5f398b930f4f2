import Testing
@testable import AutoGLMCore

@Suite struct ActivationObserverTests {
    /// Records what the forward pass reports, and copies one site's rows to compare.
    final class Recorder: ActivationObserver {
        var calls: [(site: ActivationSite, layer: Int, width: Int, tokens: Int)] = []
        var outputInputRows: [[Float]] = []
        func observe(site: ActivationSite, layer: Int, values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int) {
            calls.append((site, layer, width, tokens))
            if site == .outputInput { outputInputRows.append(Array(UnsafeBufferPointer(start: values, count: width))) }
        }
    }

    static func state(_ file: String) throws -> InferenceState {
        let model = try Model(path: Fixtures.path("models/\(file).gguf"))
        return try InferenceState(model: model, limits: RuntimeLimits(maxContext: 64, prefillChunk: 64), backend: .emulation)
    }

    /// Every linear layer's input is reported once per pass, in forward order, with the
    /// width its weight matrices expect; observing changes no logit.
    @Test(arguments: ["glm4-f32", "llama-q8_0"])
    func everySiteIsReportedInOrderWithoutChangingLogits(file: String) throws {
        let prompt: [Int32] = [3, 1, 4, 1, 5, 9, 2]
        let plain = GreedyRun(state: try Self.state(file), prompt: prompt, steps: 3)
        let observed = try Self.state(file)
        let recorder = Recorder()
        observed.activationObserver = recorder
        let run = GreedyRun(state: observed, prompt: prompt, steps: 3)
        #expect(run.logitsHash == plain.logitsHash)

        let c = observed.config
        var expected: [(ActivationSite, Int, Int, Int)] = []
        for tokens in [prompt.count, 1, 1] {
            for l in 0..<c.layerCount {
                expected.append((.attentionInput, l, c.embeddingLength, tokens))
                expected.append((.attentionOutputInput, l, c.qDim, tokens))
                expected.append((.ffnInput, l, c.embeddingLength, tokens))
                expected.append((.ffnDownInput, l, c.feedForwardLength, tokens))
            }
            expected.append((.outputInput, -1, c.embeddingLength, 1))
        }
        #expect(recorder.calls.count == expected.count)
        for (got, want) in zip(recorder.calls, expected) {
            #expect(got.site == want.0 && got.layer == want.1 && got.width == want.2 && got.tokens == want.3,
                    "\(got) vs \(want)")
        }
        // The output site's rows are what the output projection multiplies: W_out · row = logits.
        let logits = observed.logits
        let row = recorder.outputInputRows.last!
        var dot: Float = 0
        var weights = [Float](repeating: 0, count: c.embeddingLength)
        let target = Int(run.tokens.last!)
        observed.model.output.dequantizeRow(target, into: &weights)
        for i in 0..<c.embeddingLength { dot += weights[i] * row[i] }
        #expect(abs(dot - logits[target]) <= 1e-3 * max(1, abs(logits[target])) + (file.hasSuffix("q8_0") ? 0.05 : 0))
    }

    @Test func siteTensorNamesFollowTheFileLayout() {
        #expect(ActivationSite.ffnInput.tensorNames(layer: 2, fusedGateUp: true, tiedOutput: false) == ["blk.2.ffn_up.weight"])
        #expect(ActivationSite.ffnInput.tensorNames(layer: 0, fusedGateUp: false, tiedOutput: false)
                == ["blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"])
        #expect(ActivationSite.outputInput.tensorNames(layer: -1, fusedGateUp: true, tiedOutput: true) == ["token_embd.weight"])
        #expect(ActivationSite.attentionInput.tensorNames(layer: 1, fusedGateUp: true, tiedOutput: false).count == 3)
    }
}
