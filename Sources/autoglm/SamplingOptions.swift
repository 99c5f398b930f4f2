import ArgumentParser
import AutoGLMCore

/// The sampler flags shared by generate and session, with llama.cpp's names and defaults
/// (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, a fresh seed each run), so a first
/// `generate` reads like llama.cpp's and `--temperature 0` is still greedy.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).")
    var topK: Int = 40

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1: off).")
    var topP: Float = 0.95

    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p × the top probability (0: off).")
    var minP: Float = 0.05

    @Option(name: .customLong("repeat-penalty"), help: "Repetition penalty (1: off).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("presence-penalty"), help: "Presence penalty (0: off).")
    var presencePenalty: Float = 0

    @Option(help: "Sampling seed (default: a random one, printed by --verbose).")
    var seed: UInt64?

    /// The seed this run samples with: the given one, or one drawn once per process so that
    /// `--verbose` can print it and the run can be repeated with `--seed` (32 bits, as llama.cpp draws).
    private static let drawnSeed = UInt64.random(in: 0...UInt64(UInt32.max))
    var effectiveSeed: UInt64 { seed ?? Self.drawnSeed }

    /// One line for --verbose: what the run samples with, the seed included, so it can be repeated.
    var summary: String {
        temperature == 0 ? "greedy" :
            "temperature \(temperature), top-k \(topK), top-p \(topP), min-p \(minP), seed \(effectiveSeed)"
    }

    func config() throws -> SamplerConfig {
        let c = SamplerConfig(temperature: temperature, topK: topK, topP: topP, minP: minP,
                              repetitionPenalty: repeatPenalty, presencePenalty: presencePenalty, seed: effectiveSeed)
        return try coreCall { () throws(CoreError) in try c.validated() }
    }
}
