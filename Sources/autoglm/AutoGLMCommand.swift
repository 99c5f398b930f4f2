import ArgumentParser
import AutoGLMCore

@main
struct AutoGLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoglm",
        abstract: "Open-AutoGLM: on-device LLM inference for ARM automotive boards.",
        subcommands: [Generate.self, Models.self, Inspect.self, Plan.self, PerplexityCommand.self, Quantize.self, Bench.self,
                      Calibrate.self, Sensitivity.self, Prune.self]
    )
}
