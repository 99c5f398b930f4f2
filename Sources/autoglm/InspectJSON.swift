import AutoGLMCore

/// `autoglm inspect --json`: one JSON object, keys in a fixed order and metadata in file
/// order, so the output diffs cleanly between two models.
enum InspectJSON {
    /// Array elements shown per metadata array; a vocabulary would otherwise be megabytes.
    static let arrayHead = 8

    static func render(_ gguf: GGUFFile, path: String, verdict: Runnability) -> String {
        var out = "{\n"
        out += "  \"file\": \(quote(path)),\n"
        out += "  \"version\": \(gguf.version),\n"
        out += "  \"alignment\": \(gguf.alignment),\n"
        out += "  \"dataOffset\": \(gguf.dataOffset),\n"
        out += "  \"metadata\": {"
        out += gguf.metadataKeys.map { "\n    \(quote($0)): \(value(gguf.metadata[$0]!))" }.joined(separator: ",")
        out += gguf.metadataKeys.isEmpty ? "},\n" : "\n  },\n"
        out += "  \"tensors\": ["
        let rows = TensorRow.all(gguf)
        out += rows.map { t in
            "\n    {\"name\": \(quote(t.name)), \"type\": \(quote(t.typeName)), "
                + "\"shape\": [\(t.shape.map(String.init).joined(separator: ", "))], "
                + "\"offset\": \(t.offset), \"bytes\": \(t.byteCount.map(String.init) ?? "null")"
                + (t.supported ? "}" : ", \"supported\": false}")
        }.joined(separator: ",")
        out += rows.isEmpty ? "],\n" : "\n  ],\n"
        let totals = TensorTotals(gguf.tensors)
        let byType = totals.byType.map { "\(quote($0.type.name)): {\"tensors\": \($0.tensors), \"bytes\": \($0.bytes)}" }
        out += "  \"totals\": {\"tensors\": \(totals.tensors), \"bytes\": \(totals.bytes), "
            + "\"byType\": {\(byType.joined(separator: ", "))}}"
        if let c = Int8Census(gguf) {
            out += ",\n  \"int8\": {\"matrices\": \(c.matrices), \"asymmetric\": \(c.asymmetric)}"
        }
        out += ",\n  \"runnable\": \(verdict.reason == nil)"
        if let reason = verdict.reason { out += ",\n  \"cannotRunBecause\": \(quote(reason))" }
        out += "\n"
        out += "}"
        return out
    }

    /// Scalars as JSON scalars; arrays as {"array": type, "count": n, "head": [first few]}.
    static func value(_ v: GGUFValue) -> String {
        switch v {
        case .int(let i): return "\(i)"
        case .uint64(let u): return "\(u)"
        case .float(let d):
            guard d.isFinite else { return "null" }  // JSON has no NaN or infinity
            // Most float metadata was an f32 on disk: print it as one (1e-05, not 9.99999974e-06).
            return Double(Float(d)) == d ? "\(Float(d))" : "\(d)"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return quote(s)
        case .array(let type, let values):
            let head = values.prefix(arrayHead).map(value).joined(separator: ", ")
            return "{\"array\": \(quote(typeName(type))), \"count\": \(values.count), \"head\": [\(head)]}"
        }
    }

    static func typeName(_ t: GGUFValueType) -> String {
        switch t {
        case .uint8: "u8"
        case .int8: "i8"
        case .uint16: "u16"
        case .int16: "i16"
        case .uint32: "u32"
        case .int32: "i32"
        case .float32: "f32"
        case .bool: "bool"
        case .string: "str"
        case .array: "arr"
        case .uint64: "u64"
        case .int64: "i64"
        case .float64: "f64"
        }
    }

    /// A JSON string literal. Metadata strings come from the file, so control characters
    /// are escaped rather than passed to the terminal or a JSON parser raw.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
