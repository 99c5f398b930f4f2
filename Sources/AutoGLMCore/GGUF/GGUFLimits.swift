/// Hard limits on what a GGUF file may claim. Every count is also checked against the
/// bytes actually left in the file, so these only stop absurd but "fitting" values.
public enum GGUFLimits {
    public static let maxTensorCount: UInt64 = 1 << 20
    public static let maxMetadataCount: UInt64 = 1 << 20
    public static let maxStringBytes: UInt64 = 1 << 26
    /// The spec caps keys at 65535 bytes.
    public static let maxKeyBytes: UInt64 = 65_535
    /// The spec caps tensor names at 64 bytes (GGML_MAX_NAME).
    public static let maxTensorNameBytes: UInt64 = 64
    public static let maxArrayElements: UInt64 = 1 << 26
    /// Values in all metadata arrays together. A parsed value takes ~20x the bytes of a
    /// u8 on disk, so without this a large file of byte arrays could exhaust memory;
    /// real vocabularies (tokens, scores, types, merges) stay far below it.
    public static let maxMetadataValues: Int = 1 << 24
    public static let maxArrayNesting = 2
    public static let maxDimensions = 4          // GGML_MAX_DIMS
    public static let maxDimension: UInt64 = 1 << 40
    public static let defaultAlignment = 32
    public static let maxAlignment: UInt64 = 1 << 16

    /// Smallest on-disk tensor info: name length (8) + n_dims (4) + one dimension (8)
    /// + type (4) + offset (8). Bounds tensor_count by the bytes left.
    static let minTensorInfoBytes = 32
    /// Smallest on-disk key/value: key length (8) + type (4) + a one-byte value.
    static let minKeyValueBytes = 13
    /// Smallest on-disk nested array: element type (4) + count (8).
    static let minArrayBytes = 12
    /// Smallest on-disk string: its length (8).
    static let minStringBytes = 8
}
