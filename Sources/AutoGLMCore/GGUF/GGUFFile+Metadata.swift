/// Typed metadata accessors: nil when the key is absent, an error when it holds
/// something of the wrong kind.
extension GGUFFile {
    public func int(_ key: String) -> Int? { metadata[key]?.asInt }
    public func double(_ key: String) -> Double? { metadata[key]?.asDouble }
    public func string(_ key: String) -> String? { metadata[key]?.asString }
    public func bool(_ key: String) -> Bool? { metadata[key]?.asBool }

    public func stringArray(_ key: String) throws(CoreError) -> [String]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(.string, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of strings")) }
        var out: [String] = []
        out.reserveCapacity(values.count)
        for case .string(let s) in values { out.append(s) }
        return out
    }

    public func intArray(_ key: String) throws(CoreError) -> [Int]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(_, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of integers")) }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let i = value.asInt else { throw .gguf(.wrongValueType(key: key, expected: "an array of integers")) }
            out.append(i)
        }
        return out
    }

    public func floatArray(_ key: String) throws(CoreError) -> [Float]? {
        guard let v = metadata[key] else { return nil }
        guard case .array(_, let values) = v else { throw .gguf(.wrongValueType(key: key, expected: "an array of numbers")) }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for value in values {
            guard let d = value.asDouble else { throw .gguf(.wrongValueType(key: key, expected: "an array of numbers")) }
            out.append(Float(d))
        }
        return out
    }
}
