import ArgumentParser
import AutoGLM
import Foundation

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record activation statistics at every linear layer's input, for static int8 activation scales.",
        discussion: """
            Runs the text through the model in windows (cut as `autoglm perplexity` does) and records, for \
            each linear-layer input (per layer: attention input, attention output projection input, FFN \
            input, FFN down input; and the output projection's input): min, max, a percentile of |x|, and \
            the MSE-optimal symmetric int8 clipping threshold with its scale (clip / 127). Writes JSON \
            (README: "calibrate"); `autoglm quantize --calibration STATS` stores the scales in the GGUF.
            """)

    @Option(help: "Path to a GGUF model (default: the bundled model).")
    var model: String?

    @Option(help: "UTF-8 text file to calibrate on.")
    var text: String

    @Option(help: "Output JSON path.")
    var out: String

    @Option(help: "Windows of text to run (at most; fewer when the text is shorter).")
    var windows: Int = 16

    @Option(help: "Window length in tokens.")
    var context: Int = 256

    @Option(help: "Percentile of |x| to record (0–100).")
    var percentile: Double = 99.99

    @Option(help: "Histogram bins per site (the percentile and clipping resolution is range / bins).")
    var bins: Int = AbsoluteValueHistogram.defaultBinCount

    @OptionGroup var kernel: BackendOption

    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard windows >= 1 else { throw ValidationError("--windows must be at least 1") }
        guard percentile >= 0, percentile <= 100 else { throw ValidationError("--percentile must be in 0...100") }
        guard bins >= 2, bins % 2 == 0, bins <= 1 << 20 else { throw ValidationError("--bins must be even, 2...1048576") }
    }

    func run() throws {
        let path = try model ?? BundledModels.defaultModelPath()
        let setup = try EvaluationSetup(model: path, text: text, context: context, backend: kernel.backend, threads: threading.threads,
                                        pinThreads: threading.pinThreads,
                                        prefillChunk: 1)
        let calibrator = ActivationCalibrator(layerCount: setup.model.config.layerCount, binCount: bins)
        let progress = ProgressLine(label: "calibrate")
        let n = min(windows, setup.windows.count)
        calibrator.run(state: setup.state, windows: setup.windows, maxWindows: n) { progress.show($0, of: $1) }
        progress.finish()
        let report = CalibrationReport(model: path, text: text, context: context, windows: n, tokens: n * context,
                                       percentile: percentile, histogramBins: bins,
                                       sites: calibrator.report(model: setup.model, percentile: percentile))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: out), options: .atomic)
        printError("wrote \(out): \(report.sites.count) sites over \(n) windows of \(context) tokens")
    }
}
