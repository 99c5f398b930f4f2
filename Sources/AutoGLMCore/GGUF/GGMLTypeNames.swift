/// ggml's names for the tensor type ids a GGUF file may carry, including the ones this
/// runtime cannot load, so that a refusal says "IQ4_NL" rather than a bare number.
/// (ggml.h's enum ggml_type; ids 4, 5, 31–33 and 36–38 were removed from ggml.)
enum GGMLTypeNames {
    static let known: [(id: UInt32, name: String)] = [
        (9, "Q8_1"), (15, "Q8_K"), (16, "IQ2_XXS"), (17, "IQ2_XS"), (18, "IQ3_XXS"), (19, "IQ1_S"),
        (20, "IQ4_NL"), (21, "IQ3_S"), (22, "IQ2_S"), (23, "IQ4_XS"), (25, "I16"), (26, "I32"),
        (27, "I64"), (28, "F64"), (29, "IQ1_M"), (34, "TQ1_0"), (35, "TQ2_0"), (39, "MXFP4"),
    ]

    /// "IQ4_NL (20)" for a type ggml knows, "20" for an id it does not.
    static func describe(_ id: UInt32) -> String {
        if let t = TensorType(rawValue: id) { return "\(t.name) (\(id))" }
        for entry in known where entry.id == id { return "\(entry.name) (\(id))" }
        return "\(id)"
    }

    /// "F32 0, F16 1, …": every type this runtime loads, by ggml id.
    static var supportedList: String {
        TensorType.allCases.sorted { $0.rawValue < $1.rawValue }.map { "\($0.name) \($0.rawValue)" }.joined(separator: ", ")
    }
}
