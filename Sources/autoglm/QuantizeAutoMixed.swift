import ArgumentParser
import AutoGLM
import Foundation

/// `quantize --auto-mixed SIZE` and where its sensitivity ranking comes from.
struct AutoMixedOptions: ParsableArguments {
    @Option(name: .customLong("auto-mixed"),
            help: "Keep the most sensitive groups in F16 (the rest in --type) while the file fits SIZE (e.g. 6MB, 5.5MiB, 6000000).")
    var autoMixed: String?

    @Option(help: "--auto-mixed: ranking from `autoglm sensitivity --json` (else computed on --text).")
    var sensitivity: String?

    @Option(help: "--auto-mixed: text to rank the groups on when no --sensitivity report is given.")
    var text: String?

    @Option(name: .customLong("rank-by"),
            help: "--auto-mixed: choose F16 groups by perplexity (default: only groups whose quantization raised perplexity, largest rise first) or kl (next-token KL).")
    var rankBy: String = AutoMixedPrecision.Criterion.perplexity.rawValue

    @Option(help: "--auto-mixed with --text: windows of text scored per group.")
    var windows: Int = 8

    @Option(help: "--auto-mixed with --text: window length in tokens.")
    var context: Int = 256
}

extension Quantize {
    /// Writes the pure --type file and an all-F16 file beside OUT (to measure each group's
    /// size in both), chooses the F16 groups, then builds OUT in two passes from the input:
    /// everything but the F16 groups to --type, then those groups to F16 — so no tensor is
    /// rounded twice. The temporary files are removed.
    func runAutoMixed(size: String, inputPath: String, input: GGUFFile, target: TensorType, ranges: [GGUFMetadataEntry]) throws {
        guard let budget = AutoMixedPrecision.parseSize(size) else {
            throw CLIError(description: "--auto-mixed '\(size)': expected a size such as 6MB, 5.5MiB or 6000000")
        }
        guard ![TensorType.f32, .f16, .bf16].contains(target) else {
            throw CLIError(description: "--auto-mixed mixes F16 with a quantized type: --type must be quantized (e.g. q8_0)")
        }
        guard keep.isEmpty else { throw CLIError(description: "--auto-mixed decides what to keep: do not combine it with --keep") }
        let report: SensitivityReport
        if let path = mixed.sensitivity {
            report = try libraryCall { try SensitivityReport.load(path: path) }
        } else if let text = mixed.text {
            report = try Sensitivity.analyse(model: inputPath, text: text, type: type, windows: mixed.windows, context: mixed.context,
                                             backend: nil, threads: 1, scratchDirectory: scratchDirectory(forOutput: out))
        } else {
            throw CLIError(description: "--auto-mixed needs a ranking: --sensitivity REPORT.json or --text FILE")
        }
        guard report.type == type.lowercased() else {
            throw CLIError(description: "the sensitivity report ranks \(report.type) groups, not \(type)")
        }
        guard let criterion = AutoMixedPrecision.Criterion(rawValue: mixed.rankBy) else {
            throw CLIError(description: "--rank-by '\(mixed.rankBy)': expected kl or perplexity")
        }
        let names = Set(input.tensors.map(\.name))
        for g in report.groups where !g.group.tensors.allSatisfy(names.contains) {
            throw CLIError(description: "sensitivity group \(g.group.name) names tensors not in '\(model)': report from another model?")
        }

        let scratch = scratchDirectory(forOutput: out) + "/.\(URL(fileURLWithPath: out).lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)"
        let pure = scratch + ".quantized.gguf", half = scratch + ".f16.gguf", stage = scratch + ".stage.gguf"
        defer { for p in [pure, half, stage] { try? FileManager.default.removeItem(atPath: p) } }
        printError("auto-mixed: measuring group sizes (all \(type), all f16)")
        try coreCall { () throws(CoreError) in
            try GGUFQuantizer.quantize(input: input, outputPath: pure, type: target, keep: [], asymmetric: asymmetric) { _ in }
            try GGUFQuantizer.quantize(input: input, outputPath: half, type: .f16, keep: []) { _ in }
        }
        let pureFile = try coreCall { () throws(CoreError) in try GGUFFile(path: pure) }
        let halfFile = try coreCall { () throws(CoreError) in try GGUFFile(path: half) }
        var choice = AutoMixedPrecision.choose(ranking: AutoMixedPrecision.ranking(report, by: criterion), quantized: pureFile, f16: halfFile, budget: budget)
        guard choice.quantizedBytes <= budget else {
            throw CLIError(description: "--auto-mixed \(size) (\(budget) bytes) is below the all-\(type) size \(choice.quantizedBytes) bytes")
        }

        // The header changes a little with the mix (companion tensors come and go), so the
        // prediction can miss by up to the alignment: write, check, and drop the last F16
        // group if the real file does not fit.
        let fileType = GGUFMetadataEntry(key: GGUFQuantizer.fileTypeKey, type: .uint32, value: .int(GGUFQuantizer.llamaFileType(target)))
        while true {
            let kept = choice.keptF16
            let keptPatterns = kept.flatMap(\.keepPatterns)
            _ = try coreCall { () throws(CoreError) in
                try GGUFQuantizer.quantize(input: input, outputPath: stage, type: target, keep: keptPatterns, asymmetric: asymmetric) { _ in }
            }
            let staged = try coreCall { () throws(CoreError) in try GGUFFile(path: stage) }
            let quantizedNames = staged.tensors.map(\.name).filter { name in !kept.contains { $0.contains(tensorName: name) } }
            let bar = ProgressLine(label: "quantize")
            let summary = try coreCall { () throws(CoreError) in
                try GGUFQuantizer.quantize(input: staged, outputPath: out, type: .f16, keep: quantizedNames,
                                           addingMetadata: [fileType] + ranges) { bar.show($0) }
            }
            bar.finish()
            if summary.outputBytes <= budget || kept.isEmpty {
                printError("wrote \(out): \(InspectText.byteSize(summary.outputBytes)), budget \(budget), "
                    + "all-\(type) \(choice.quantizedBytes)")
                printError("F16 groups (\(kept.count) of \(report.groups.count), ranked by \(criterion.rawValue)): "
                    + (kept.isEmpty ? "none" : kept.map(\.name).joined(separator: ", ")))
                return
            }
            choice.keptF16.removeLast()
        }
    }
}
