/// Element types of weight tensors, with ggml's numeric ids as GGUF stores them.
/// Block types pack `blockSize` elements into `bytesPerBlock` bytes.
public enum TensorType: UInt32, Equatable, CaseIterable, Sendable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    // ggml's K-quants: super-blocks of 256 with packed per-16 or per-32 sub-block scales.
    case q2_k = 10
    case q3_k = 11
    case q4_k = 12
    case q5_k = 13
    case q6_k = 14
    /// ggml's I8: as a weight matrix, our per-output-channel INT8 (docs/int8-format.md):
    /// the int8 values here, the row scales (and zero points) in companion tensors.
    case int8 = 24
    case bf16 = 30

    /// Elements per block (1 for plain floats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .int8: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_k, .q3_k, .q4_k, .q5_k, .q6_k: return KQuantBlock.superBlockSize
        }
    }

    /// Whether this is one of ggml's K-quants, whose kernels take activations quantized in
    /// super-blocks of 256 (SuperBlockActivationQuantization) rather than blocks of 32.
    public var isKQuant: Bool { blockSize == KQuantBlock.superBlockSize }

    /// Elements per activation scale for the kernels of this type (0 for float weights).
    public var activationBlockSize: Int {
        guard usesQuantizedActivations else { return 0 }
        return isKQuant ? SuperBlockActivationQuantization.blockSize : ActivationQuantization.blockSize
    }

    /// Whether the kernels multiply this type with activations quantized to int8 (in blocks
    /// of `activationBlockSize`) instead of with Float activations.
    public var usesQuantizedActivations: Bool {
        switch self {
        case .f32, .f16, .bf16: return false
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .int8: return true
        case .q2_k, .q3_k, .q4_k, .q5_k, .q6_k: return true
        }
    }

    /// What a matrix row's length must be a multiple of for the kernels: the storage
    /// block, and for the integer kernels also the activation block.
    public var rowMultiple: Int {
        usesQuantizedActivations ? max(blockSize, activationBlockSize) : blockSize
    }

    /// Bytes per block, as ggml lays them out (ggml-common.h): Q8_0 is an f16 scale + 32
    /// int8; Q4_0 an f16 scale + 16 bytes of nibbles; Q4_1 and Q5_1 add an f16 minimum;
    /// Q5_0/Q5_1 add 4 bytes of fifth bits. K-quants: see KQuantBlock.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .int8: return 1
        case .q8_0: return 34
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q2_k: return 84
        case .q3_k: return 110
        case .q4_k: return 144
        case .q5_k: return 176
        case .q6_k: return 210
        }
    }

    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q8_0: return "Q8_0"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q2_k: return "Q2_K"
        case .q3_k: return "Q3_K"
        case .q4_k: return "Q4_K"
        case .q5_k: return "Q5_K"
        case .q6_k: return "Q6_K"
        case .int8: return "I8"
        }
    }

    /// Bytes of one row of `elements` elements, or nil when the row does not fill whole
    /// blocks or the product overflows.
    public func rowBytes(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}
