/// Hard limits on what a GGUF file may claim. Every count is also checked against the
/// bytes actually left in the file, so these only stop absurd but "fitting" values.
public enum GGUFLimits {
    public static let maxTensorCount: UInt64 = 1 << 20
    public static let maxMetadataCount: UInt64 = 1 << 20
    public static let maxStringBytes: UInt64 = 1 << 26
    public static let maxArrayElements: UInt64 = 1 << 26
    public static let maxArrayNesting = 2
    public static let maxDimensions = 4          // GGML_MAX_DIMS
    public static let maxDimension: UInt64 = 1 << 40
    public static let defaultAlignment = 32
    public static let maxAlignment: UInt64 = 1 << 16
}
