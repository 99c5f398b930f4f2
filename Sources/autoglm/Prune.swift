import ArgumentParser
import AutoGLM
import Foundation

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the least important FFN channels and attention heads, ranked by activations on a text.",
        discussion: """
            Importance: FFN channel j = mean |silu(gate_j)·up_j| × ‖W_down[:, j]‖; query head h = mean ‖o_h‖ × \
            ‖W_o[:, head h]‖, over the first --windows windows of the text. Every layer keeps the same counts \
            (GGUF has one feed_forward_length and head_count): --ffn-keep × ffn rounded to the nearest multiple \
            of --ffn-multiple (so 32-blocks still fit), and under grouped-query attention --heads-keep × \
            (heads per KV group) rounded to nearest, at least one, in every group — KV heads are never \
            removed. Writes the reduced GGUF and reports the perplexity before and after on the text \
            (cut and scored as `autoglm perplexity`). There is no fine-tuning afterwards.
            """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "UTF-8 text file for importance and perplexity.")
    var text: String

    @Option(name: .customLong("ffn-keep"), help: "Fraction of FFN channels to keep, in (0, 1].")
    var ffnKeep: Double = 1

    @Option(name: .customLong("heads-keep"), help: "Fraction of query heads to keep, in (0, 1].")
    var headsKeep: Double = 1

    @Option(name: .customLong("ffn-multiple"), help: "Kept FFN channels are a multiple of this (32: Q8_0/Q4_0 blocks fit).")
    var ffnMultiple: Int = 32

    @Option(help: "Output GGUF path.")
    var out: String

    @Option(help: "Windows of text that importance is measured on (at most).")
    var windows: Int = 16

    @Option(name: .customLong("eval-windows"), help: "Windows scored for the before/after perplexity (default: all).")
    var evalWindows: Int?

    @Option(help: "Window length in tokens.")
    var context: Int = 256

    @OptionGroup var kernel: BackendOption

    @OptionGroup var threading: ThreadOptions

    @Flag(help: "Print one JSON object with the plan and both perplexities.")
    var json = false

    func validate() throws {
        guard ffnKeep > 0, ffnKeep <= 1, headsKeep > 0, headsKeep <= 1 else {
            throw ValidationError("--ffn-keep and --heads-keep must be in (0, 1]")
        }
        guard ffnMultiple >= 1, windows >= 1, evalWindows.map({ $0 >= 1 }) ?? true else {
            throw ValidationError("--ffn-multiple, --windows and --eval-windows must be at least 1")
        }
    }

    func run() throws {
        let path = try model ?? BundledModels.defaultModelPath()
        let setup = try EvaluationSetup(model: path, text: text, context: context, backend: kernel.backend, threads: threading.threads,
                                        pinThreads: threading.pinThreads)
        let c = setup.model.config
        let importance = PruningImportance(config: c)
        let progress = ProgressLine(label: "importance")
        importance.run(state: setup.state, windows: setup.windows, maxWindows: windows) { progress.show($0, of: $1) }
        progress.finish()
        let plan = PruningPlan(importance: importance, model: setup.model, ffnKeep: ffnKeep, headsKeep: headsKeep, ffnMultiple: ffnMultiple)
        printError("plan: ffn \(c.feedForwardLength) → \(plan.ffnLength) per layer, heads \(c.headCount) → \(plan.headCount) "
            + "(\(c.kvHeadCount) KV heads kept)")
        try libraryCall { try StructuredPruning.write(model: setup.model, plan: plan, outputPath: out) }
        let pruned = try coreCall { () throws(CoreError) in try Model(path: out) }
        let before = try score(setup.model, setup: setup, label: "perplexity before")
        let after = try score(pruned, setup: setup, label: "perplexity after")
        let inBytes = setup.model.gguf.file.count, outBytes = pruned.gguf.file.count
        if json {
            let object: [String: Any] = [
                "model": path, "out": out, "text": text, "context": context,
                "ffn_length": [c.feedForwardLength, plan.ffnLength], "head_count": [c.headCount, plan.headCount],
                "heads_kept": plan.headsKept, "bytes": [inBytes, outBytes],
                "scored_tokens": after.scoredTokens, "perplexity_before": before.perplexity, "perplexity_after": after.perplexity,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("wrote \(out): \(InspectText.byteSize(outBytes)) (was \(InspectText.byteSize(inBytes))); "
                + "ffn \(c.feedForwardLength) → \(plan.ffnLength), heads \(c.headCount) → \(plan.headCount)")
            print("perplexity \(String(format: "%.4f", before.perplexity)) → \(String(format: "%.4f", after.perplexity)) "
                + "over \(after.scoredTokens) scored tokens (\(after.windows) windows of \(context))")
        }
    }

    func score(_ model: Model, setup: EvaluationSetup, label: String) throws -> PerplexityResult {
        let state = try EvaluationSetup.state(for: model, context: context, backend: kernel.backend, threads: threading.threads,
                                             pinThreads: threading.pinThreads)
        let tokens = setup.windows.prefix(windows: evalWindows)
        let progress = ProgressLine(label: label)
        defer { progress.finish() }
        return try coreCall { () throws(CoreError) in
            try Perplexity.evaluate(state: state, tokens: tokens, context: context, bos: setup.windows.bos,
                                    tokenByteCount: { setup.tokenizer.tokenBytes($0).count },
                                    onWindow: { progress.show($0, of: $1) })
        }
    }
}
