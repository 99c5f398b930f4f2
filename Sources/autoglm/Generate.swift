import ArgumentParser
import AutoGLM
import AutoGLMCore
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a prompt, streaming it as it is produced.")

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "The prompt text.")
    var prompt: String

    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens.")
    var maxTokens: Int = 64

    @OptionGroup var sampling: SamplingOptions

    @OptionGroup var kernel: BackendOption

    @OptionGroup var armnn: ArmNNOptions

    @OptionGroup var runtime: RuntimeOptions

    @Flag(help: "Print one JSON object instead of streaming text.")
    var json = false

    @Flag(help: "Print the model and the memory plan first (to stderr).")
    var verbose = false

    func run() throws {
        // First: a backend this build lacks is an error before any file is read.
        let (chosenBackend, useArmNN) = try resolveBackends(kernel.backend)
        let path = try model ?? BundledModels.defaultModelPath()
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        let tokenizer = try coreCall { () throws(CoreError) in try Tokenizer(gguf: loaded.gguf) }
        let limits = try runtime.limits(for: loaded.config)
        let state = try coreCall { () throws(CoreError) in try InferenceState(model: loaded, limits: limits, backend: chosenBackend) }
        let armnnSetup = useArmNN ? try armnn.attach(to: state, tokenizer: tokenizer) : nil
        let backendName = useArmNN ? ArmNNOptions.backendName : chosenBackend.name
        if verbose {
            printError("model: \(path)")
            printError(describe(loaded.config))
            printError("backend: \(backendName)" + (armnnSetup.map { " (\($0); attention, norms and RoPE on \(chosenBackend.name))" } ?? ""))
            printError("kernels: \(state.kernels.path.name)")
            printError(state.plan.description)
        }
        let samplerConfig = try sampling.config()
        if verbose { printError("sampling: \(sampling.summary)") }
        let generator = try coreCall { () throws(CoreError) in try Generator(state: state, sampling: samplerConfig) }
        let promptIds = tokenizer.encode(prompt, addBos: tokenizer.addBosDefault)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let stream = !json
        let result = try coreCall { () throws(CoreError) in
            try generator.generate(prompt: promptIds, maxNewTokens: maxTokens,
                                   isEndOfGeneration: { tokenizer.isEndOfGeneration($0) },
                                   onToken: { token in
                                       // Control tokens ([gMASK], <|user|>, …) are structure, not text: not shown.
                                       if stream && tokenizer.tokenType(token) != .control {
                                           FileHandle.standardOutput.write(Data(detokenizer.push(token).utf8))
                                       }
                                       return true
                                   })
        }
        if stream {
            FileHandle.standardOutput.write(Data((detokenizer.flush() + "\n").utf8))
            if verbose {
                printError("prompt \(result.promptTokens) tokens, generated \(result.tokens.count) (\(result.finishReason.name)); "
                    + "prefill \(format(result.prefillTokensPerSecond)) tok/s, decode \(format(result.decodeTokensPerSecond)) tok/s")
            }
        } else {
            let object: [String: Any] = [
                "model": path,
                "backend": backendName,
                "seed": NSNumber(value: sampling.effectiveSeed),
                "prompt_tokens": promptIds.map(Int.init),
                "tokens": result.tokens.map(Int.init),
                "text": tokenizer.decode(result.tokens.filter { tokenizer.tokenType($0) != .control }),
                "finish_reason": result.finishReason.name,
                "prefill_tokens_per_second": result.prefillTokensPerSecond,
                "decode_tokens_per_second": result.decodeTokensPerSecond,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }
