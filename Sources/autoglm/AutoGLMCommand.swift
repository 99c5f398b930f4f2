import ArgumentParser
import AutoGLM
import AutoGLMCore

@main
struct AutoGLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoglm",
        abstract: "Open-AutoGLM: on-device LLM inference for ARM automotive boards.",
        version: AutoGLMVersion.current,
        subcommands: [Generate.self, Session.self, Checkpoints.self, Models.self, Inspect.self, Plan.self, PerplexityCommand.self,
                      Quantize.self, Bench.self, Calibrate.self, Sensitivity.self, Prune.self, BundleCommand.self, Deploy.self]
    )

    /// `--max-tokens -1` reaches the option's range check ("must be ≥ 0"), not "Missing value".
    static func main() {
        main(NegativeNumberArguments.attached(Array(CommandLine.arguments.dropFirst())))
    }
}
