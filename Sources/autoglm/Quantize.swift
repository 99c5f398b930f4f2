import ArgumentParser
import AutoGLM
import Foundation

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a GGUF model with its weight matrices in another type.",
        discussion: """
            Matrices take --type; a matrix whose rows are not a multiple of the block size (32 for q8_0) \
            becomes F16, as llama.cpp's converter does; 1-D tensors (norms, biases, rope_freqs) stay F32. \
            Input tensors of any supported type are dequantized first. general.file_type is set to \
            llama.cpp's value for the type. Input must be GGUF: Hugging Face safetensors folders are not \
            read here yet (convert them with llama.cpp's convert_hf_to_gguf.py first).
            """)

    @Option(help: "Input GGUF model.")
    var model: String

    @Option(help: "Output GGUF path (written as OUT.tmp, then renamed).")
    var out: String

    @Option(help: "Target type: \(GGUFQuantizer.targetNames.map { $0.0 }.joined(separator: ", ")).")
    var type: String

    @Option(parsing: .singleValue,
            help: "Keep tensors whose name matches this pattern in their input type, bytes unchanged ('*' matches anything; repeatable), e.g. 'blk.*.ffn_down.weight'.")
    var keep: [String] = []

    @Option(help: "Statistics from `autoglm calibrate`: stored as autoglm.activation.<tensor>.scale/clip/min/max metadata.")
    var calibration: String?

    @OptionGroup var mixed: AutoMixedOptions

    func run() throws {
        let target = try coreCall { () throws(CoreError) in try GGUFQuantizer.targetType(named: type.lowercased()) }
        let input = try coreCall { () throws(CoreError) in try GGUFFile(path: model) }
        let ranges = try calibration.map { try CalibrationReport.load(path: $0).metadataEntries(tensorNames: Set(input.tensors.map(\.name))) } ?? []
        if let size = mixed.autoMixed {
            return try runAutoMixed(size: size, input: input, target: target, ranges: ranges)
        }
        let bar = ProgressBar()
        let summary = try coreCall { () throws(CoreError) in
            try GGUFQuantizer.quantize(input: input, outputPath: out, type: target, keep: keep, addingMetadata: ranges) { bar.show($0) }
        }
        bar.end()
        printError("wrote \(out): \(InspectText.byteSize(summary.inputBytes)) → \(InspectText.byteSize(summary.outputBytes))")
        let counts = summary.tensorsByType.map { "\($0.tensors) \($0.type.name)" }.joined(separator: ", ")
        printError("tensors: \(counts)" + (summary.kept > 0 ? "; \(summary.kept) copied unchanged" : ""))
        if !ranges.isEmpty { printError("static activation ranges: \(ranges.count / ActivationRangeKeys.fields.count) tensors (from \(calibration!))") }
    }
}

/// One stderr line redrawn per tensor (carriage return) when stderr is a terminal;
/// one line per tensor otherwise, so logs stay readable.
final class ProgressBar {
    static let width = 30
    let isTerminal = isatty(STDERR_FILENO) != 0

    func show(_ p: QuantizeProgress) {
        let done = p.index + 1
        let filled = Self.width * done / max(1, p.count)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        let change = p.inputType == p.outputType ? p.outputType.name : "\(p.inputType.name)→\(p.outputType.name)"
        let line = "[\(bar)] \(done)/\(p.count) \(p.name) \(change) \(p.inputBytes)→\(p.outputBytes) bytes"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            printError(line)
        }
    }

    func end() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
