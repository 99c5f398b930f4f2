import AutoGLM
/// The canary: greedy tokens of a bundle's golden prompts. Numbers are the same on every
/// kernel path and on the device (docs/ARCHITECTURE.md), so tokens recorded at signing
/// time on x86 must come out exactly on the vehicle; a different file, a damaged one, or
/// a runtime that computes differently does not pass.
public enum GoldenTokens {
    /// Loads the model and computes its fingerprint and the greedy tokens of `prompts`
    /// (`counts[i]` new tokens each, or fewer if the model ends its answer).
    public static func run(modelPath: String, prompts: [String], counts: [Int]) throws(BundleError) -> (fingerprint: String, tokens: [[Int32]]) {
        let model = try core { () throws(CoreError) in try Model(path: modelPath) }
        let tokenizer = try core { () throws(CoreError) in try Tokenizer(gguf: model.gguf) }
        let prompted = prompts.map { tokenizer.encode($0, addBos: tokenizer.addBosDefault) }
        let longest = zip(prompted, counts).map { $0.count + $1 + 1 }.max() ?? 1
        let context = min(model.config.trainedContextLength, max(longest, 16))
        guard longest <= context else {
            throw .manifestInvalid("a golden prompt and its tokens need \(longest) positions; the model's context is \(context)")
        }
        let limits = RuntimeLimits(maxContext: context, prefillChunk: min(RuntimeLimits().prefillChunk, context), threads: AvailableCPUs.count())
        let state = try core { () throws(CoreError) in try InferenceState(model: model, limits: limits, backend: .platformDefault) }
        var out: [[Int32]] = []
        for (ids, count) in zip(prompted, counts) {
            let result = try core { () throws(CoreError) in
                try Generator(state: state, sampling: SamplerConfig())
                    .generate(prompt: ids, maxNewTokens: count, isEndOfGeneration: { tokenizer.isEndOfGeneration($0) })
            }
            out.append(result.tokens)
        }
        return (fingerprintHex(model.fingerprint), out)
    }

    static func fingerprintHex(_ v: UInt64) -> String {
        let hex = String(v, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private static func core<T>(_ body: () throws(CoreError) -> T) throws(BundleError) -> T {
        do throws(CoreError) { return try body() } catch { throw .model(error.message) }
    }
}
