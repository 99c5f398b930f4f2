/// Rewrites a GGUF file with its weight matrices in another type, choosing per tensor
/// as llama.cpp's converter does: matrices take the target type, rows that do not fill
/// its blocks fall back to F16, 1-D tensors (norms, biases, rope_freqs) stay F32, and
/// tensors named by a `keep` pattern keep their input bytes.
///
/// INT8 matrices travel with their companions (Int8Format): an INT8 output adds NAME.scale
/// (and NAME.zero_point when asymmetric) right after NAME; an INT8 input is dequantized
/// through them, or copied together with them when it keeps its type.
public enum GGUFQuantizer {
    public static let fileTypeKey = "general.file_type"
    public static let quantizationVersionKey = "general.quantization_version"
    /// GGML_QNT_VERSION: the Q8_0/Q4_0 block layouts this writer produces.
    public static let quantizationVersion: Int64 = 2
    /// Floats dequantized at a time, so memory stays bounded for any tensor size.
    public static let chunkElements = 1 << 20
    /// The type matrices fall back to when their rows do not fill whole blocks.
    public static let fallbackType = TensorType.f16

    /// The `--type` names this quantizer accepts.
    public static let targetNames: [(String, TensorType)] = [("f32", .f32), ("f16", .f16), ("bf16", .bf16), ("q8_0", .q8_0), ("int8", .int8)]

    public static func targetType(named name: String) throws(CoreError) -> TensorType {
        for (n, t) in targetNames where n == name { return t }
        throw .invalidArgument(name: "quantization type", value: name,
                               reason: "supported: " + targetNames.map { $0.0 }.joined(separator: ", "))
    }

    /// llama.cpp's LLAMA_FTYPE for a file whose matrices are mostly `type`.
    public static func llamaFileType(_ type: TensorType) -> Int64 {
        switch type {
        case .f32: return 0   // LLAMA_FTYPE_ALL_F32
        case .f16: return 1   // LLAMA_FTYPE_MOSTLY_F16
        case .q4_0: return 2  // LLAMA_FTYPE_MOSTLY_Q4_0
        case .q4_1: return 3  // LLAMA_FTYPE_MOSTLY_Q4_1
        case .q8_0: return 7  // LLAMA_FTYPE_MOSTLY_Q8_0
        case .q5_0: return 8  // LLAMA_FTYPE_MOSTLY_Q5_0
        case .q5_1: return 9  // LLAMA_FTYPE_MOSTLY_Q5_1
        // K-quants: the file type whose recipe is closest to all-one-type (the _S variants).
        case .q2_k: return 10  // LLAMA_FTYPE_MOSTLY_Q2_K
        case .q3_k: return 11  // LLAMA_FTYPE_MOSTLY_Q3_K_S
        case .q4_k: return 14  // LLAMA_FTYPE_MOSTLY_Q4_K_S
        case .q5_k: return 16  // LLAMA_FTYPE_MOSTLY_Q5_K_S
        case .q6_k: return 18  // LLAMA_FTYPE_MOSTLY_Q6_K
        case .bf16: return 32 // LLAMA_FTYPE_MOSTLY_BF16
        // Our own type has no LLAMA_FTYPE: LLAMA_FTYPE_GUESSED ("look at the tensors").
        case .int8: return 1024
        }
    }

    /// What one tensor becomes. `nil` means: copy the input bytes unchanged.
    public static func outputType(for tensor: GGUFTensorInfo, target: TensorType, keep: [String]) -> TensorType? {
        for pattern in keep where globMatches(tensor.name, pattern: pattern) { return nil }
        let wanted: TensorType
        if tensor.shape.count == 1 {
            wanted = .f32
        } else if tensor.rowElements % target.rowMultiple != 0 {
            wanted = fallbackType
        } else {
            wanted = target
        }
        return wanted == tensor.type ? nil : wanted
    }

    /// `*` matches any run of characters (dots included); everything else matches itself.
    public static func globMatches(_ name: String, pattern: String) -> Bool {
        let s = Array(name.utf8), p = Array(pattern.utf8)
        let star = UInt8(ascii: "*")
        var i = 0, j = 0
        var starAt = -1, resumeAt = 0
        while i < s.count {
            if j < p.count && p[j] != star && p[j] == s[i] {
                i += 1; j += 1
            } else if j < p.count && p[j] == star {
                starAt = j; resumeAt = i; j += 1
            } else if starAt >= 0 {
                // Let the last star swallow one more character and retry.
                resumeAt += 1; i = resumeAt; j = starAt + 1
            } else {
                return false
            }
        }
        while j < p.count && p[j] == star { j += 1 }
        return j == p.count
    }

    /// Writes `outputPath` (through a temporary file, see GGUFWriter). `progress` is
    /// called after each input tensor (companions of INT8 matrices count with their matrix).
    /// `asymmetric` applies to INT8 outputs only. `addingMetadata` goes after the input's
    /// metadata, replacing input entries with the same keys (e.g. calibrated activation ranges).
    @discardableResult
    public static func quantize(input: GGUFFile, outputPath: String, type target: TensorType, keep: [String],
                                asymmetric: Bool = false, addingMetadata: [GGUFMetadataEntry] = [],
                                progress: (QuantizeProgress) -> Void) throws(CoreError) -> QuantizeSummary {
        var steps: [Step] = []
        var descriptors: [GGUFTensorDescriptor] = []
        var quantized = false, anyInt8 = false
        for t in input.tensors where Int8Format.owner(ofCompanion: t, in: input) == nil {
            // Every other I8 tensor is an INT8 matrix: checked (companions, version) before anything is written.
            let source = t.type == .int8 ? try Int8Format.matrix(t, in: input, rows: t.rowCount, cols: t.rowElements) : nil
            let out = outputType(for: t, target: target, keep: keep)
            let type = out ?? t.type
            let first = descriptors.count
            descriptors.append(GGUFTensorDescriptor(name: t.name, shape: t.shape, type: type))
            if out == nil {
                for c in t.type == .int8 ? Int8Format.companions(of: t, in: input) : [] {
                    descriptors.append(GGUFTensorDescriptor(name: c.name, shape: c.shape, type: c.type))
                }
            } else if type == .int8 {
                descriptors.append(GGUFTensorDescriptor(name: t.name + Int8Format.scaleSuffix, shape: [t.rowCount], type: .f32))
                if asymmetric {
                    descriptors.append(GGUFTensorDescriptor(name: t.name + Int8Format.zeroPointSuffix, shape: [t.rowCount], type: .int8))
                }
            }
            steps.append(Step(input: t, int8Source: source, output: out, descriptors: first..<descriptors.count))
            quantized = quantized || type.blockSize > 1
            anyInt8 = anyInt8 || type == .int8
        }
        var replaced = Set<String>()
        for e in addingMetadata { replaced.insert(e.key) }
        let metadata = outputMetadata(input.metadataEntries, fileType: llamaFileType(target), quantized: quantized, int8: anyInt8)
            .filter { !replaced.contains($0.key) } + addingMetadata
        let writer = try GGUFWriter(path: outputPath, metadata: metadata, tensors: descriptors)

        var summary = QuantizeSummary(inputBytes: input.file.count, outputBytes: writer.fileBytes)
        for (i, step) in steps.enumerated() {
            let t = step.input
            let written = writer.tensors[step.descriptors.lowerBound]
            if let out = step.output {
                try convert(t, of: input, int8Source: step.int8Source, to: out, asymmetric: asymmetric, writer: writer)
            } else {
                try writer.append(input.bytes(for: t))
                for c in t.type == .int8 ? Int8Format.companions(of: t, in: input) : [] { try writer.append(input.bytes(for: c)) }
                summary.kept += 1
            }
            summary.count(written.type)
            let inputBytes = step.int8Source?.residentBytes ?? t.byteCount
            let outputBytes = step.descriptors.reduce(0) { $0 + writer.tensors[$1].byteCount }
            progress(QuantizeProgress(index: i, count: steps.count, name: t.name, inputType: t.type,
                                      outputType: written.type, inputBytes: inputBytes, outputBytes: outputBytes))
        }
        try writer.finish()
        return summary
    }

    /// One input tensor's fate: its output type (nil: copy) and its output tensors.
    struct Step {
        let input: GGUFTensorInfo
        let int8Source: WeightMatrix?
        let output: TensorType?
        let descriptors: Range<Int>
    }

    /// Metadata in input order; general.file_type set to the target's LLAMA_FTYPE and,
    /// when any tensor is block-quantized, general.quantization_version to 2 (each added
    /// at the end when absent, keeping its on-disk type when present). autoglm.int8.version
    /// is there exactly when an INT8 matrix is.
    static func outputMetadata(_ entries: [GGUFMetadataEntry], fileType: Int64, quantized: Bool,
                               int8: Bool = false) -> [GGUFMetadataEntry] {
        var out: [GGUFMetadataEntry] = []
        var sawFileType = false, sawVersion = false
        for e in entries {
            if e.key == Int8Format.versionKey {
                continue
            } else if e.key == fileTypeKey {
                out.append(GGUFMetadataEntry(key: e.key, type: integerType(e.type), value: .int(fileType)))
                sawFileType = true
            } else if e.key == quantizationVersionKey && quantized {
                out.append(GGUFMetadataEntry(key: e.key, type: integerType(e.type), value: .int(quantizationVersion)))
                sawVersion = true
            } else {
                out.append(e)
            }
        }
        if !sawFileType { out.append(GGUFMetadataEntry(key: fileTypeKey, type: .uint32, value: .int(fileType))) }
        if quantized && !sawVersion {
            out.append(GGUFMetadataEntry(key: quantizationVersionKey, type: .uint32, value: .int(quantizationVersion)))
        }
        if int8 { out.append(GGUFMetadataEntry(key: Int8Format.versionKey, type: .uint32, value: .int(Int64(Int8Format.version)))) }
        return out
    }

    /// A key that held something other than a wide-enough integer is rewritten as llama.cpp writes it: u32.
    static func integerType(_ t: GGUFValueType) -> GGUFValueType {
        switch t {
        case .uint32, .int32, .uint64, .int64: return t
        default: return .uint32
        }
    }

    /// Dequantizes the input in chunks of whole rows and requantizes each chunk. INT8
    /// output appends the row scales (and zero points) after the matrix, as planned.
    static func convert(_ t: GGUFTensorInfo, of input: GGUFFile, int8Source: WeightMatrix?, to out: TensorType,
                        asymmetric: Bool, writer: GGUFWriter) throws(CoreError) {
        let rowElements = t.rowElements
        let inRowBytes = t.type.rowBytes(elements: rowElements)!
        // Every output type passed here fits the row (outputType checked the row multiple).
        let outRowBytes = out.rowBytes(elements: rowElements)!
        let rowsPerChunk = max(1, chunkElements / rowElements)
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerChunk * rowElements)
        defer { floats.deallocate() }
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: rowsPerChunk * outRowBytes, alignment: 16)
        defer { bytes.deallocate() }
        // [rows] each; written after the matrix (Array.withUnsafeBytes would lose the typed throw).
        let scales = UnsafeMutableBufferPointer<Float>.allocate(capacity: out == .int8 ? t.rowCount : 0)
        defer { scales.deallocate() }
        let zeroPoints = UnsafeMutableBufferPointer<Int8>.allocate(capacity: out == .int8 ? t.rowCount : 0)
        defer { zeroPoints.deallocate() }
        let src = input.data(for: t)
        var row = 0
        while row < t.rowCount {
            let n = min(rowsPerChunk, t.rowCount - row)
            if let int8Source {
                for k in 0..<n { int8Source.dequantizeRow(row + k, into: floats + k * rowElements) }
            } else {
                dequantize(type: t.type, src + row * inRowBytes, count: n * rowElements, into: floats)
            }
            if out == .int8 {
                let q = bytes.assumingMemoryBound(to: Int8.self)
                for k in 0..<n {
                    let (scale, zero) = Int8RowQuantizer.quantize(floats + k * rowElements, count: rowElements,
                                                                  asymmetric: asymmetric, into: q + k * rowElements)
                    scales[row + k] = scale
                    zeroPoints[row + k] = zero
                }
            } else {
                TensorQuantizer.quantize(floats, count: n * rowElements, to: out, into: bytes)
            }
            try writer.append(UnsafeRawBufferPointer(start: bytes, count: n * outRowBytes))
            row += n
        }
        if out == .int8 {
            try writer.append(UnsafeRawBufferPointer(scales))
            if asymmetric { try writer.append(UnsafeRawBufferPointer(zeroPoints)) }
        }
    }
}

/// One tensor done: what it was and what it became.
public struct QuantizeProgress {
    public let index: Int
    public let count: Int
    public let name: String
    public let inputType: TensorType
    public let outputType: TensorType
    public let inputBytes: Int
    public let outputBytes: Int
}

/// File sizes and how many tensors of each type the output holds.
public struct QuantizeSummary {
    public let inputBytes: Int
    public let outputBytes: Int
    /// Tensors copied unchanged (kept by a pattern, or already in their output type).
    public var kept = 0
    public private(set) var tensorsByType: [(type: TensorType, tensors: Int)] = []

    init(inputBytes: Int, outputBytes: Int) {
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
    }

    mutating func count(_ type: TensorType) {
        for i in 0..<tensorsByType.count where tensorsByType[i].type == type {
            tensorsByType[i].tensors += 1
            return
        }
        tensorsByType.append((type, 1))
    }
}
