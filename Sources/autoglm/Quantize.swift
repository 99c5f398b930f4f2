import ArgumentParser
import AutoGLM
import Foundation

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a GGUF model with its weight matrices in another type.",
        discussion: """
            Matrices take --type; a matrix whose rows are not a multiple of the block size (32 for q8_0 \
            and int8) becomes F16, as llama.cpp's converter does; 1-D tensors (norms, biases, rope_freqs) \
            stay F32. int8 is our per-output-channel INT8 (one scale per row, plus a zero point per row \
            with --asymmetric), stored as ggml I8 with companion tensors (docs/int8-format.md); \
            llama.cpp lists such files but cannot run them. \
            Input tensors of any supported type are dequantized first. general.file_type is set to \
            llama.cpp's value for the type. --model may also be a Hugging Face folder (config.json, \
            tokenizer.json, *.safetensors) of a LlamaForCausalLM, Qwen2ForCausalLM, GlmForCausalLM or Glm4ForCausalLM: \
            it is converted as llama.cpp's convert_hf_to_gguf.py would (docs/huggingface.md), through an \
            F32 GGUF beside OUT when --type is not f32.
            """)

    @Option(help: "Input GGUF model, or a Hugging Face model folder.")
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

    @Flag(help: "int8 only: asymmetric rows (w = scale·(q − zero_point)) instead of symmetric (w = scale·q).")
    var asymmetric = false

    func validate() throws {
        if asymmetric && type.lowercased() != "int8" {
            throw ValidationError("--asymmetric applies to --type int8 only")
        }
    }

    func run() throws {
        let target = try coreCall { () throws(CoreError) in try GGUFQuantizer.targetType(named: type.lowercased()) }
        var inputPath = model
        var intermediate: String? = nil
        defer { if let intermediate { try? FileManager.default.removeItem(atPath: intermediate) } }
        if HFConverter.isModelFolder(model) {
            let converter = try HFConverter(folder: model)
            printError("\(model): \(converter.config.family.rawValue), \(converter.plan.count) tensors from "
                + "\(converter.shards.count) safetensors file(s), \(converter.tokenizer.tokens.count) tokens")
            let direct = target == .f32 && keep.isEmpty
            let path = direct ? out : out + ".hf-f32"
            let bar = ProgressLine(label: "convert")
            let bytes = try converter.writeGGUF(to: path) { i, n, name, size in
                bar.show(i + 1, of: n, "\(name) F32 \(size) bytes")
            }
            bar.finish()
            if direct {
                printError("wrote \(out): \(InspectText.byteSize(bytes))")
                return
            }
            inputPath = path
            intermediate = path
        }
        let input = try coreCall { () throws(CoreError) in try GGUFFile(path: inputPath) }
        let ranges = try libraryCall {
            try calibration.map { try CalibrationReport.load(path: $0).metadataEntries(tensorNames: Set(input.tensors.map(\.name))) } ?? []
        }
        if let size = mixed.autoMixed {
            return try runAutoMixed(size: size, inputPath: inputPath, input: input, target: target, ranges: ranges)
        }
        let bar = ProgressLine(label: "quantize")
        let summary = try coreCall { () throws(CoreError) in
            try GGUFQuantizer.quantize(input: input, outputPath: out, type: target, keep: keep, asymmetric: asymmetric,
                                       addingMetadata: ranges) { bar.show($0) }
        }
        bar.finish()
        printError("wrote \(out): \(InspectText.byteSize(summary.inputBytes)) → \(InspectText.byteSize(summary.outputBytes))")
        let counts = summary.tensorsByType.map { "\($0.tensors) \($0.type.name)" }.joined(separator: ", ")
        printError("tensors: \(counts)" + (summary.kept > 0 ? "; \(summary.kept) copied unchanged" : ""))
        if !ranges.isEmpty { printError("static activation ranges: \(ranges.count / ActivationRangeKeys.fields.count) tensors (from \(calibration!))") }
    }
}

extension ProgressLine {
    /// One tensor of a quantization: name, type change and bytes.
    func show(_ p: QuantizeProgress) {
        let change = p.inputType == p.outputType ? p.outputType.name : "\(p.inputType.name)→\(p.outputType.name)"
        show(p.index + 1, of: p.count, "\(p.name) \(change) \(p.inputBytes)→\(p.outputBytes) bytes")
    }
}
