/// Little-endian appends for the encoder.
struct CheckpointByteSink {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func raw(_ p: UnsafeRawPointer, count: Int) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: p, count: count))
    }
}

/// Bounds-checked little-endian reads over one section's payload; running past the end
/// is a `.truncated` error naming the field.
struct CheckpointCursor {
    let bytes: [UInt8]
    let section: String
    private(set) var offset = 0

    init(_ bytes: [UInt8], section: String) {
        self.bytes = bytes
        self.section = section
    }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ field: String) throws(CoreError) {
        guard n <= remaining else {
            throw .checkpoint(.truncated(what: section + "." + field, needed: n, available: remaining))
        }
    }

    mutating func u8(_ field: String) throws(CoreError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(CoreError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32(_ field: String) throws(CoreError) -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    mutating func u64(_ field: String) throws(CoreError) -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    mutating func f32(_ field: String) throws(CoreError) -> Float { Float(bitPattern: try u32(field)) }

    /// A u32 that must be ≤ `limit`, as an Int.
    mutating func count(_ field: String, limit: Int) throws(CoreError) -> Int {
        let v = try u32(field)
        guard Int(v) <= limit else {
            throw .checkpoint(.invalidField(name: section + "." + field, value: "\(v)", limit: "at most \(limit)"))
        }
        return Int(v)
    }

    mutating func bytes(_ n: Int, _ field: String) throws(CoreError) -> ArraySlice<UInt8> {
        try need(n, field)
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    func expectEnd() throws(CoreError) {
        guard remaining == 0 else {
            throw .checkpoint(.invalidField(name: section, value: "\(remaining) extra bytes", limit: "payload must end here"))
        }
    }
}
