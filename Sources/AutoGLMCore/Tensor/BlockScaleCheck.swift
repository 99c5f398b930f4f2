/// Finds block scales that decode to NaN or infinity. One such f16 turns every output the
/// block touches into NaN, so the loader refuses the file and names the block (as ggml's
/// ggml_validate_row_data does when asked to check tensors) rather than generate garbage.
public enum BlockScaleCheck {
    /// Byte offsets of the f16 scale fields (d, and dmin or m where the type has one) in a block.
    static func halfOffsets(_ type: TensorType) -> (Int, Int?)? {
        switch type {
        case .f32, .f16, .bf16, .int8: return nil
        case .q4_0, .q5_0, .q8_0: return (0, nil)
        case .q4_1, .q5_1, .q4_k, .q5_k: return (0, 2)
        case .q2_k: return (80, 82)
        case .q3_k: return (108, nil)
        case .q6_k: return (208, nil)
        }
    }

    /// The first block (and its f16 bits) with a non-finite scale, or nil.
    public static func firstNonFinite(_ type: TensorType, _ data: UnsafeRawPointer, blocks: Int) -> (block: Int, bits: UInt16)? {
        guard let (first, second) = halfOffsets(type) else { return nil }
        let bytes = type.bytesPerBlock
        for b in 0..<blocks {
            let block = data + b * bytes
            let d = block.loadUnaligned(fromByteOffset: first, as: UInt16.self)
            if d & 0x7C00 == 0x7C00 { return (b, d) }
            if let second {
                let m = block.loadUnaligned(fromByteOffset: second, as: UInt16.self)
                if m & 0x7C00 == 0x7C00 { return (b, m) }
            }
        }
        return nil
    }
}
