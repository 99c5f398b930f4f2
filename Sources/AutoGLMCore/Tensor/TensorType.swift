/// Element types of weight tensors, with ggml's numeric ids as GGUF stores them.
/// Block types pack `blockSize` elements into `bytesPerBlock` bytes.
public enum TensorType: UInt32, Equatable, CaseIterable, Sendable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q8_0 = 8
    /// ggml's I8: as a weight matrix, our per-output-channel INT8 (docs/int8-format.md):
    /// the int8 values here, the row scales (and zero points) in companion tensors.
    case int8 = 24
    case bf16 = 30

    /// Elements per block (1 for plain floats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .int8: return 1
        case .q4_0, .q8_0: return 32
        }
    }

    /// Whether the kernels multiply this type with activations quantized to int8 in
    /// blocks of ActivationQuantization.blockSize (instead of with Float activations).
    public var usesQuantizedActivations: Bool {
        switch self {
        case .f32, .f16, .bf16: return false
        case .q4_0, .q8_0, .int8: return true
        }
    }

    /// What a matrix row's length must be a multiple of for the kernels: the storage
    /// block, and for the integer kernels also the activation block (32).
    public var rowMultiple: Int {
        usesQuantizedActivations ? max(blockSize, ActivationQuantization.blockSize) : blockSize
    }

    /// Bytes per block: Q8_0 is an f16 scale + 32 int8; Q4_0 an f16 scale + 16 bytes of nibbles.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .int8: return 1
        case .q8_0: return 34
        case .q4_0: return 18
        }
    }

    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q8_0: return "Q8_0"
        case .q4_0: return "Q4_0"
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
