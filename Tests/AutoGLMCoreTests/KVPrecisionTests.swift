import Testing
@testable import AutoGLMCore

/// What narrower KV elements cost, against the f32 cache on the same model and prompt:
/// f16 rounds each element to 11 significant bits; int8 stores each head row with one
/// scale (absmax / 127), an error of up to 1/254 of the row's largest |value|. Over 24
/// teacher-forced steps on the f32 fixtures (logits up to ~30) we measured max |Δlogit|
/// 0.009–0.020 for f16 and 0.28–0.44 for int8; the bounds below leave about 2× room.
/// int8 is enough to flip a greedy token where the top two are close (qwen2's first
/// step here), which is why it is an option and f32/f16 the default.
@Suite struct KVPrecisionTests {
    /// Greedy tokens and each step's logits; with `forced`, those tokens are fed instead
    /// of the argmax (teacher forcing), so two runs see the same history.
    static func logitsPerStep(_ file: String, _ kvType: KVCacheType, prompt: [Int32], steps: Int,
                              forced: [Int32]? = nil) throws -> (tokens: [Int32], logits: [[Float]]) {
        let model = try Model(path: Fixtures.path("models/\(file).gguf"))
        let state = try InferenceState(model: model, limits: RuntimeLimits(maxContext: 96, kvType: kvType), backend: .emulation)
        let vocab = model.config.vocabularySize
        var tokens: [Int32] = []
        var logits: [[Float]] = []
        prompt.withUnsafeBufferPointer { state.prefill(tokens: $0, startPosition: 0) }
        var position = prompt.count
        for _ in 0..<steps {
            let row = Array(UnsafeBufferPointer(start: state.logits, count: vocab))
            logits.append(row)
            var next = Int32(row.indices.max { row[$0] < row[$1] }!)
            tokens.append(next)
            if let forced { next = forced[tokens.count - 1] }
            withUnsafePointer(to: &next) { state.forward(tokens: UnsafeBufferPointer(start: $0, count: 1), startPosition: position) }
            position += 1
        }
        return (tokens, logits)
    }

    @Test(arguments: ["llama-f32", "qwen2-f32", "glm4-f32"])
    func narrowKVStaysCloseToF32(file: String) throws {
        let prompt: [Int32] = (0..<30).map { Int32(($0 * 13 + 5) % 240) }
        let exact = try Self.logitsPerStep(file, .f32, prompt: prompt, steps: 24)
        for (kvType, bound) in [(KVCacheType.f16, Float(0.05)), (.int8, Float(1.0))] {
            let narrow = try Self.logitsPerStep(file, kvType, prompt: prompt, steps: 24, forced: exact.tokens)
            var worst: Float = 0
            for (a, b) in zip(narrow.logits, exact.logits) { worst = max(worst, ModelFixtureTests.maxAbsDifference(a, b)) }
            print("KV precision \(file) \(kvType.name): max |Δlogit| = \(worst)")
            #expect(worst <= bound, "\(file) \(kvType.name) max |Δlogit| = \(worst)")
        }
    }
}
