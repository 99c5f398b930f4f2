import ArgumentParser
import AutoGLMCore

/// Runtime sizing flags shared by plan, generate and bench.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Maximum context length in tokens (default: the model's trained context, capped at 4096).")
    var context: Int?

    @Option(help: "Maximum sequences decoded together.")
    var batch: Int = 1

    @Option(help: "Prompt tokens per forward pass during prefill.")
    var chunk: Int = 64

    @Option(help: "Worker threads for the kernels.")
    var threads: Int = 1

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f32 or f16.")
    var kvType: String = "f32"

    static let defaultContextCap = 4096

    func limits(for config: ModelConfig) throws -> RuntimeLimits {
        let context = self.context ?? min(config.trainedContextLength, RuntimeOptions.defaultContextCap)
        let kv = try coreCall { () throws(CoreError) in try KVCacheType(name: kvType) }
        return RuntimeLimits(maxContext: context, maxBatch: batch, prefillChunk: min(chunk, context), threads: threads, kvType: kv)
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the memory plan for a model: every arena buffer, the KV cache and the mapped weights.")

    @Option(help: "Path to a GGUF model.")
    var model: String

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Fail when the plan needs more than this many bytes in total.")
    var budget: Int?

    func run() throws {
        let loaded = try coreCall { () throws(CoreError) in try Model(path: model) }
        let limits = try runtime.limits(for: loaded.config)
        let plan = try coreCall { () throws(CoreError) in
            try MemoryPlan(config: loaded.config, weightsBytes: loaded.weightsBytes, limits: limits)
        }
        print(describe(loaded.config))
        print(plan.description)
        if let budget {
            // The plan is already on screen; the error only needs the verdict.
            guard plan.totalBytes <= budget else {
                throw CLIError(description: "the plan needs \(plan.totalBytes) bytes (\(formatBytes(plan.totalBytes))), over the budget of \(budget) bytes")
            }
            print("fits the budget of \(formatBytes(budget))")
        }
    }
}

/// One line naming the model's shape, for plan and verbose generation.
func describe(_ c: ModelConfig) -> String {
    "model: \(c.architecture), \(c.layerCount) layers, d_model \(c.embeddingLength), heads \(c.headCount)/\(c.kvHeadCount) × \(c.headDim), ffn \(c.feedForwardLength), vocab \(c.vocabularySize), rope dims \(c.ropeDimensions)"
}
