import ArgumentParser
import AutoGLMCore

/// The sampler flags shared by generate and session (llama.cpp's names and defaults).
struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1: off).")
    var topP: Float = 1

    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p × the top probability (0: off).")
    var minP: Float = 0

    @Option(name: .customLong("repeat-penalty"), help: "Repetition penalty (1: off).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("presence-penalty"), help: "Presence penalty (0: off).")
    var presencePenalty: Float = 0

    @Option(help: "Sampling seed.")
    var seed: UInt64 = 0

    func config() throws -> SamplerConfig {
        let c = SamplerConfig(temperature: temperature, topK: topK, topP: topP, minP: minP,
                              repetitionPenalty: repeatPenalty, presencePenalty: presencePenalty, seed: seed)
        return try coreCall { () throws(CoreError) in try c.validated() }
    }
}
