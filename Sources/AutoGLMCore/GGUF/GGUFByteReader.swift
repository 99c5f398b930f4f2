/// Bounds-checked little-endian reads over the mapped file. Every read states which
/// field it is for, so a truncated file yields an error naming that field. Field names
/// are autoclosures: they are only built when a read fails, not once per vocab entry.
struct GGUFByteReader {
    let base: UnsafeRawPointer
    let count: Int
    var offset: Int = 0

    var remaining: Int { count - offset }

    func need(_ bytes: Int, _ field: @autoclosure () -> String) throws(CoreError) {
        guard bytes >= 0, bytes <= remaining else {
            throw .gguf(.truncated(field: field(), offset: offset, needed: bytes, fileSize: count))
        }
    }

    mutating func u8(_ field: @autoclosure () -> String) throws(CoreError) -> UInt8 {
        try need(1, field())
        defer { offset += 1 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    mutating func u16(_ field: @autoclosure () -> String) throws(CoreError) -> UInt16 {
        try need(2, field())
        defer { offset += 2 }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    mutating func u32(_ field: @autoclosure () -> String) throws(CoreError) -> UInt32 {
        try need(4, field())
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func u64(_ field: @autoclosure () -> String) throws(CoreError) -> UInt64 {
        try need(8, field())
        defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A GGUF string: u64 byte length then bytes. The length is checked against `limit`
    /// before it becomes an Int (so no conversion trap) and against the bytes left.
    /// Invalid UTF-8 is repaired (U+FFFD) rather than trusted.
    mutating func string(_ field: @autoclosure () -> String, limit: UInt64 = GGUFLimits.maxStringBytes) throws(CoreError) -> String {
        let length = try u64(field() + " length")
        guard length <= limit else {
            throw .gguf(.countTooLarge(field: field() + " length", value: length, limit: limit))
        }
        let n = Int(length)
        try need(n, field())
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: n)
        offset += n
        return String(decoding: bytes, as: UTF8.self)
    }
}
