import ArgumentParser
import AutoGLM
import Foundation

struct Sensitivity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize one tensor group at a time and rank the groups by how much that changes the model.",
        discussion: """
            Groups: per layer attention Q/K/V, attention output, FFN gate+up, FFN down; then the output \
            projection (when not tied) and the token embedding — every group that --type would change. \
            For each, a temporary GGUF with only that group quantized (everything else copied) is scored \
            on the first --windows windows of the text (cut and scored as `autoglm perplexity` does), and \
            compared position by position with the input model: mean KL(P_input ‖ P_quantized) of the \
            next-token distribution, and the perplexity change. Sorted most sensitive first.
            """)

    /// The type groups are quantized to when --type is not given.
    static let defaultType = "int8"

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "UTF-8 text file to score.")
    var text: String

    @Option(help: "Type each group is quantized to.")
    var type: String = Sensitivity.defaultType

    @Option(help: "Windows of text scored per group (at most).")
    var windows: Int = 8

    @Option(help: "Window length in tokens.")
    var context: Int = 256

    @OptionGroup var kernel: BackendOption

    @OptionGroup var threading: ThreadOptions

    @Flag(help: "Print one JSON object (the format `quantize --auto-mixed --sensitivity` reads).")
    var json = false

    func validate() throws {
        guard windows >= 1 else { throw ValidationError("--windows must be at least 1") }
    }

    func run() throws {
        let path = try model ?? BundledModels.defaultModelPath()
        let report = try Self.analyse(model: path, text: text, type: type, windows: windows, context: context,
                                      backend: kernel.backend, threads: threading.threads, pinThreads: threading.pinThreads,
                                      scratchDirectory: scratchDirectory(forOutput: nil))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
    }

    /// Runs the analysis with progress on stderr (also used by `quantize --auto-mixed`).
    static func analyse(model path: String, text: String, type: String, windows: Int, context: Int, backend: String?,
                        threads: Int, pinThreads: Bool = false, scratchDirectory: String) throws -> SensitivityReport {
        let setup = try EvaluationSetup(model: path, text: text, context: context, backend: backend, threads: threads,
                                        pinThreads: pinThreads)
        let target = try coreCall { () throws(CoreError) in try GGUFQuantizer.targetType(named: type.lowercased()) }
        let groups = TensorGroup.quantizable(in: setup.model.gguf, layerCount: setup.model.config.layerCount, target: target)
        guard !groups.isEmpty else { throw CLIError(description: "no tensor of '\(path)' changes when quantized to \(type)") }
        let analysis = SensitivityAnalysis(modelPath: path, input: setup.model, target: target, windows: setup.windows,
                                           maxWindows: windows, limits: setup.state.limits, backend: setup.state.kernels.backend,
                                           scratchDirectory: scratchDirectory)
        let progress = ProgressLine(label: "sensitivity")
        defer { progress.finish() }
        return try libraryCall {
            try analysis.run(groups: groups, targetName: type.lowercased()) { step in
                switch step {
                case .reference: progress.show(0, of: groups.count, "input model scored")
                case .group(let done, let total, let group, let r):
                    progress.show(done, of: total, "\(group.name): KL \(String(format: "%.3g", r.klDivergence)), "
                        + "ppl \(String(format: "%+.4f", r.perplexityChange))")
                }
            }
        }
    }

    static func table(_ r: SensitivityReport) -> String {
        var lines = ["sensitivity of \(r.model) to \(r.type), \(r.scoredTokens) scored tokens (\(r.windows) windows of \(r.context)); "
            + "input perplexity \(String(format: "%.4f", r.perplexity))",
                     "group".padding(to: 20) + "KL (nats)".padding(to: 14) + "perplexity".padding(to: 12) + "change".padding(to: 12) + "bytes"]
        for g in r.groups {
            lines.append(g.group.name.padding(to: 20) + String(format: "%-14.4e%-12.4f%-+12.4f", g.klDivergence, g.perplexity, g.perplexityChange)
                + "\(g.inputBytes) → \(g.quantizedBytes)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Where temporary GGUF files go: beside the output when there is one (same file
/// system, known to be writable), else the system temporary directory.
func scratchDirectory(forOutput out: String?) -> String {
    if let out {
        let dir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        return dir.isEmpty ? "." : dir
    }
    return FileManager.default.temporaryDirectory.path
}
