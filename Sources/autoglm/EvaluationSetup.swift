import AutoGLM
import Foundation

/// A model, its tokenizer and an inference state sized for windows of `context` tokens,
/// plus the text cut into those windows: what calibrate, sensitivity and prune start from.
struct EvaluationSetup {
    let path: String
    let model: Model
    let tokenizer: Tokenizer
    let state: InferenceState
    let windows: TextWindows

    init(model path: String, text: String, context: Int, backend: String?, threads: Int, pinThreads: Bool = false,
         prefillChunk: Int = 64) throws {
        guard let data = FileManager.default.contents(atPath: text) else {
            throw CLIError(description: "cannot read text file '\(text)'")
        }
        self.path = path
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        model = loaded
        tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
        state = try Self.state(for: loaded, context: context, backend: backend, threads: threads, pinThreads: pinThreads,
                               prefillChunk: prefillChunk)
        windows = TextWindows(tokenizer: tokenizer, text: String(decoding: data, as: UTF8.self), context: context)
        guard windows.count >= 1 else {
            throw CLIError(description: "'\(text)' has \(windows.tokens.count) tokens: not one window of \(context)")
        }
    }

    static func state(for model: Model, context: Int, backend: String?, threads: Int, pinThreads: Bool = false,
                      prefillChunk: Int = 64) throws -> InferenceState {
        let chosen = try resolveBackend(backend)
        warnIfBeyondTrainedContext(context, model.config)
        // A logits row per chunk row: perplexity scores each window's second half in batched passes.
        let limits = RuntimeLimits(maxContext: context, prefillChunk: min(prefillChunk, context), threads: threads,
                                   pinThreads: pinThreads, logitsRows: min(prefillChunk, context))
        return try coreCall { () throws(CoreError) in try InferenceState(model: model, limits: limits, backend: chosen) }
    }
}
