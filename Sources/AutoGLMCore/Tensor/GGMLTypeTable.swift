/// Every tensor type id ggml has defined (gguf-py's GGMLQuantizationType and
/// GGML_QUANT_SIZES, llama.cpp as vendored by llama-cpp-python 0.3.36), so a file in a
/// type this runtime cannot run is still parsed, listed and named: "Q4_K (12)", not "type 12".
/// `TensorType` is the subset the kernels run.
public struct GGMLType: Equatable, Sendable {
    public let id: UInt32
    public let name: String
    /// Elements per block and bytes per block; nil for ids ggml removed before their
    /// layout settled (Q4_2, Q4_3), whose tensors cannot be sized.
    public let blockSize: Int?
    public let bytesPerBlock: Int?

    /// The type with this id, or nil for an id ggml never defined.
    public static func withID(_ id: UInt32) -> GGMLType? {
        guard Int(id) < table.count, let entry = table[Int(id)] else { return nil }
        return GGMLType(id: id, name: entry.name, blockSize: entry.block, bytesPerBlock: entry.bytes)
    }

    /// "Q4_K (12)" for a known id, "unknown (99)" otherwise: how errors and `inspect` name a type.
    public static func describe(_ id: UInt32) -> String {
        (withID(id)?.name ?? "unknown") + " (\(id))"
    }

    /// Bytes of `elements` elements in this type, or nil when the size is unknown, the
    /// count does not fill whole blocks, or the product overflows.
    public func bytes(elements: Int) -> Int? {
        guard let blockSize, let bytesPerBlock, elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    private typealias Entry = (name: String, block: Int?, bytes: Int?)
    /// QK_K, the super-block of the k-quants and i-quants.
    private static let qkK = 256

    /// Indexed by id; nil where ggml never assigned the id.
    private static let table: [Entry?] = [
        ("F32", 1, 4), ("F16", 1, 2), ("Q4_0", 32, 18), ("Q4_1", 32, 20),
        ("Q4_2", nil, nil), ("Q4_3", nil, nil),                                    // 4, 5: removed
        ("Q5_0", 32, 22), ("Q5_1", 32, 24), ("Q8_0", 32, 34), ("Q8_1", 32, 36),
        ("Q2_K", qkK, 84), ("Q3_K", qkK, 110), ("Q4_K", qkK, 144), ("Q5_K", qkK, 176),
        ("Q6_K", qkK, 210), ("Q8_K", qkK, 292),
        ("IQ2_XXS", qkK, 66), ("IQ2_XS", qkK, 74), ("IQ3_XXS", qkK, 98), ("IQ1_S", qkK, 50),
        ("IQ4_NL", 32, 18), ("IQ3_S", qkK, 110), ("IQ2_S", qkK, 82), ("IQ4_XS", qkK, 136),
        ("I8", 1, 1), ("I16", 1, 2), ("I32", 1, 4), ("I64", 1, 8), ("F64", 1, 8),
        ("IQ1_M", qkK, 56), ("BF16", 1, 2),
        ("Q4_0_4_4", 32, 18), ("Q4_0_4_8", 32, 18), ("Q4_0_8_8", 32, 18),           // 31-33: removed repacks
        ("TQ1_0", qkK, 54), ("TQ2_0", qkK, 66),
        ("IQ4_NL_4_4", 32, 18), ("IQ4_NL_4_8", 32, 18), ("IQ4_NL_8_8", 32, 18),     // 36-38: removed repacks
        ("MXFP4", 32, 17), ("NVFP4", 64, 36), ("Q1_0", 128, 18), ("Q2_0", 64, 18),
    ]
}
