/// Static activation ranges that `autoglm quantize --calibration` stores in a GGUF file's
/// metadata, one set of float32 keys per weight tensor, named after the tensor whose
/// input they describe:
///
///   autoglm.activation.<tensor>.scale   int8 scale of the input: clip / 127
///   autoglm.activation.<tensor>.clip    symmetric clipping threshold (MSE-optimal)
///   autoglm.activation.<tensor>.min     smallest input value seen in calibration
///   autoglm.activation.<tensor>.max     largest input value seen in calibration
///
/// e.g. `autoglm.activation.blk.0.attn_q.weight.scale`. A backend with static int8
/// activations (Arm NN) quantizes that tensor's input as round(x / scale), clamped to ±127.
public struct StaticActivationRange: Equatable, Sendable {
    public let scale: Float
    public let clip: Float
    public let min: Float
    public let max: Float

    public init(scale: Float, clip: Float, min: Float, max: Float) {
        self.scale = scale
        self.clip = clip
        self.min = min
        self.max = max
    }
}

public enum ActivationRangeKeys {
    public static let prefix = "autoglm.activation."
    public static let fields = ["scale", "clip", "min", "max"]

    public static func key(tensor: String, field: String) -> String { prefix + tensor + "." + field }
}

extension GGUFFile {
    /// The calibrated input range of `tensor`, nil when the file has none for it. Values
    /// are checked: a scale or clip that is not finite and positive, or min > max, is an
    /// error naming the key, since a backend would otherwise divide by it.
    public func staticActivationRange(tensor: String) throws(CoreError) -> StaticActivationRange? {
        let scaleKey = ActivationRangeKeys.key(tensor: tensor, field: "scale")
        guard metadata[scaleKey] != nil else { return nil }
        var values: [Float] = []
        for field in ActivationRangeKeys.fields {
            let key = ActivationRangeKeys.key(tensor: tensor, field: field)
            guard let v = metadata[key] else { throw .model(.missingMetadata(key: key)) }
            guard case .float(let d) = v, d.isFinite else {
                throw .gguf(.wrongValueType(key: key, expected: "a finite float"))
            }
            values.append(Float(d))
        }
        let range = StaticActivationRange(scale: values[0], clip: values[1], min: values[2], max: values[3])
        guard range.scale > 0, range.clip > 0 else {
            throw .gguf(.wrongValueType(key: scaleKey, expected: "a positive scale and clip"))
        }
        guard range.min <= range.max else {
            throw .gguf(.wrongValueType(key: ActivationRangeKeys.key(tensor: tensor, field: "min"), expected: "min <= max"))
        }
        return range
    }

    /// Metadata entries (float32) that store `range` for `tensor`, in the order above.
    public static func activationRangeEntries(tensor: String, range: StaticActivationRange) -> [GGUFMetadataEntry] {
        let values = [range.scale, range.clip, range.min, range.max]
        var out: [GGUFMetadataEntry] = []
        for (field, v) in zip(ActivationRangeKeys.fields, values) {
            out.append(GGUFMetadataEntry(key: ActivationRangeKeys.key(tensor: tensor, field: field), type: .float32,
                                         value: .float(Double(v))))
        }
        return out
    }
}
