import ArgumentParser
import AutoGLM
import AutoGLMCore

/// Runtime sizing flags shared by plan, generate and bench.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Maximum context length in tokens (default: the model's trained context, capped at 4096).")
    var context: Int?

    @Option(help: "Maximum sequences decoded together.")
    var batch: Int = 1

    @Option(help: "Prompt tokens per forward pass during prefill.")
    var chunk: Int = 64

    @OptionGroup var threading: ThreadOptions

    @Option(name: .customLong("kv-type"), help: "KV cache element type: f32, f16 or int8 (per-head scale).")
    var kvType: String = "f32"

    @Option(help: "Sequences that may hold KV pages at once, running or paused (default: the batch).")
    var sequences: Int?

    @Option(name: .customLong("kv-budget-mib"),
            help: "KV page pool size in MiB (default: every sequence at full context).")
    var kvBudgetMiB: Int?

    static let defaultContextCap = 4096

    func limits(for config: ModelConfig) throws -> RuntimeLimits {
        let context = self.context ?? min(config.trainedContextLength, RuntimeOptions.defaultContextCap)
        warnIfBeyondTrainedContext(context, config)
        let kv = try coreCall { () throws(CoreError) in try KVCacheType(name: kvType) }
        var limits = RuntimeLimits(maxContext: context, maxBatch: batch, prefillChunk: min(chunk, context), threads: threading.threads, kvType: kv,
                                   maxSequences: sequences ?? 0, pinThreads: threading.pinThreads)
        if let kvBudgetMiB {
            let layout = try coreCall { () throws(CoreError) in try KVPageLayout(config: config, type: kv) }
            let pages = kvBudgetMiB * 1024 * 1024 / layout.pageBytes
            guard pages >= 1 else {
                throw CLIError(description: "--kv-budget-mib \(kvBudgetMiB) holds no KV page (\(formatBytes(layout.pageBytes)) each)")
            }
            limits.kvPages = pages
        }
        return limits
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the memory plan for a model: every arena buffer, the KV page pool and the mapped weights.")

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

/// Prints TrainedContextWarning's line when `context` is longer than the model was trained for.
func warnIfBeyondTrainedContext(_ context: Int, _ config: ModelConfig) {
    if let warning = TrainedContextWarning.message(context: context, trainedContext: config.trainedContextLength) {
        printError(warning)
    }
}
