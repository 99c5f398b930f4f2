import ArgumentParser
import AutoGLMCore
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the serving engine: aggregate decode tokens/s, TTFT and inter-token latency under concurrency.",
        discussion: """
            --concurrency 1,2,4,8,16 runs each level as that many concurrent streams through the \
            scheduler (continuous batching, one batched pass per step) and prints one row per level. \
            Prompts are synthetic token ids. Absolute figures depend on the machine's state; compare \
            levels by their ratio within one run.
            """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "Kernel backend: reference, emulation or neon (default: the fastest exact one here).")
    var backend: String?

    @OptionGroup var runtime: RuntimeOptions

    @OptionGroup var serving: ConcurrencyBenchOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let path = try model ?? BundledModels.defaultModelPath()
        let loaded = try coreCall { () throws(CoreError) in try Model(path: path) }
        let chosenBackend = try resolveBackend(backend)
        let report = try ConcurrencyBench(options: serving, runtime: runtime, model: loaded, modelPath: path,
                                          backend: chosenBackend).run()
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            printConcurrencyReport(report)
        }
    }
}
