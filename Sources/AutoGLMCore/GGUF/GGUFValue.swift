/// GGUF metadata value types, with their on-disk ids.
public enum GGUFValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5
    case float32 = 6, bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Fixed size in bytes of a scalar of this type (nil for string and array).
    var scalarBytes: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }
}

/// One metadata value. Arrays keep their element type so an empty array still says
/// what it would have held.
public enum GGUFValue: Equatable {
    case int(Int64)          // every signed and unsigned integer type that fits Int64
    case uint64(UInt64)      // UInt64 values above Int64.max
    case float(Double)       // float32 and float64
    case bool(Bool)
    case string(String)
    case array(GGUFValueType, [GGUFValue])

    public var asInt: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .uint64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    public var asDouble: Double? {
        switch self {
        case .float(let v): return v
        case .int(let v): return Double(v)
        case .uint64(let v): return Double(v)
        default: return nil
        }
    }

    public var asString: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var asBool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var asArray: [GGUFValue]? {
        if case .array(_, let values) = self { return values }
        return nil
    }

    /// A short human-readable rendering, arrays abbreviated.
    public var summary: String {
        switch self {
        case .int(let v): return "\(v)"
        case .uint64(let v): return "\(v)"
        case .float(let v): return formatDouble(v)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return summarize(s)
        case .array(let t, let values):
            var parts: [String] = []
            for v in values.prefix(4) { parts.append(v.summary) }
            let more = values.count > 4 ? ", …" : ""
            return "[\(typeName(t)) × \(values.count)] [" + parts.joined(separator: ", ") + more + "]"
        }
    }
}

/// Characters of a string shown in a summary; chat templates run to kilobytes.
let summaryStringCharacters = 60

/// A quoted one-line preview: control characters escaped (a template's newlines would
/// break the line, and a file's escape sequences must not reach the terminal).
func summarize(_ s: String) -> String {
    let (body, complete) = UntrustedText.escaped(s, maxCharacters: summaryStringCharacters, asciiOnly: false, quote: "\"")
    return "\"" + body + (complete ? "" : "…") + "\""
}

func typeName(_ t: GGUFValueType) -> String {
    switch t {
    case .uint8: return "u8"
    case .int8: return "i8"
    case .uint16: return "u16"
    case .int16: return "i16"
    case .uint32: return "u32"
    case .int32: return "i32"
    case .float32: return "f32"
    case .bool: return "bool"
    case .string: return "str"
    case .array: return "arr"
    case .uint64: return "u64"
    case .int64: return "i64"
    case .float64: return "f64"
    }
}

/// Decimal rendering of a Double without Foundation (Embedded Swift cannot print floats).
/// Six significant fractional digits are plenty for metadata and logs.
public func formatDouble(_ value: Double, fractionDigits: Int = 6) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    var v = value
    var out = ""
    if v < 0 { out = "-"; v = -v }
    if v >= 1e15 {
        // Scientific form for huge values.
        var exp = 0
        while v >= 10 { v /= 10; exp += 1 }
        return out + formatDouble(v, fractionDigits: fractionDigits) + "e\(exp)"
    }
    var scale = 1.0
    for _ in 0..<fractionDigits { scale *= 10 }
    let scaled = (v * scale).rounded()
    let whole = UInt64(scaled / scale)
    var frac = UInt64(scaled - Double(whole) * scale)
    out += "\(whole)"
    if fractionDigits > 0 && frac > 0 {
        var digits: [UInt8] = Array(repeating: UInt8(ascii: "0"), count: fractionDigits)
        var i = fractionDigits - 1
        while i >= 0 { digits[i] = UInt8(ascii: "0") + UInt8(frac % 10); frac /= 10; i -= 1 }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        out += "." + String(decoding: digits, as: UTF8.self)
    }
    return out
}
