import ArgumentParser
import AutoGLM
import AutoGLMCore
import Foundation

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model on a text file, defined as llama.cpp's perplexity tool does.",
        discussion: """
        The text is tokenized once (with BOS first when the vocabulary adds one) and cut into non-overlapping windows of --context tokens;
        each window starts from an empty cache (its first token replaced by BOS when the
        vocabulary adds one) and only the second half of each window is scored. Perplexity is
        exp(mean negative log-likelihood); bits_per_byte is the same total in bits over the
        UTF-8 bytes of the scored tokens.
        """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "UTF-8 text file to score.")
    var text: String

    @Option(help: "Window length in tokens.")
    var context: Int = 512

    @OptionGroup var kernel: BackendOption

    @OptionGroup var armnn: ArmNNOptions

    @OptionGroup var threading: ThreadOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        // First: a backend this build lacks is an error before any file is read.
        let (chosen, useArmNN) = try resolveBackends(kernel.backend)
        let path = try model ?? BundledModels.defaultModelPath()
        guard let data = FileManager.default.contents(atPath: text) else {
            throw CLIError(description: "cannot read text file '\(text)'")
        }
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        let tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
        warnIfBeyondTrainedContext(context, loaded.config)
        // A logits row per chunk row: each window's scored half runs as batched passes.
        let chunk = min(64, context)
        let limits = RuntimeLimits(maxContext: context, prefillChunk: chunk, threads: threading.threads,
                                   pinThreads: threading.pinThreads, logitsRows: chunk)
        let state = try coreCall { () throws(CoreError) in try InferenceState(model: loaded, limits: limits, backend: chosen) }
        if useArmNN { printError(try armnn.attach(to: state, tokenizer: tokenizer)) }
        // As llama.cpp: BOS (when the vocabulary adds one) starts the token stream, and each
        // window's first token is replaced by BOS again.
        let tokens = tokenizer.encode(String(decoding: data, as: UTF8.self), addBos: tokenizer.addBosDefault)
        let bos = tokenizer.addBosDefault ? tokenizer.bosTokenId : nil
        let started = Date()
        let result = try coreCall { () throws(CoreError) in
            try Perplexity.evaluate(state: state, tokens: tokens, context: context, bos: bos,
                                    tokenByteCount: { tokenizer.tokenBytes($0).count },
                                    onWindow: { done, total in
                                        printError("window \(done)/\(total)  \(Int(Date().timeIntervalSince(started)))s")
                                    })
        }
        if json {
            let object: [String: Any] = [
                "model": path, "text": text, "backend": useArmNN ? ArmNNOptions.backendName : chosen.name, "context": context, "windows": result.windows,
                "tokens": result.scoredTokens, "text_tokens": tokens.count,
                "perplexity": result.perplexity, "bits_per_byte": result.bitsPerByte,
            ]
            let out = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: out, as: UTF8.self))
        } else {
            print("perplexity \(String(format: "%.4f", result.perplexity)) over \(result.scoredTokens) scored tokens "
                + "(\(result.windows) windows of \(context)), \(String(format: "%.4f", result.bitsPerByte)) bits/byte")
        }
    }
}
