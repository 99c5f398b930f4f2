/// GPT-2's reversible byte <-> code point map. Byte-level BPE vocabularies store every token as text
/// in which each byte is written as one printable code point: bytes that are printable Latin-1
/// ('!'...'~', '¡'...'¬', '®'...'ÿ') stand for themselves, the other 68 (space, controls, ...) are
/// shifted to U+0100...U+0143 in byte order (so a space is 'Ġ' U+0120, a newline 'Ċ' U+010A).
/// The tokenizer works on raw bytes and only uses this map to read the vocabulary.
enum ByteLevelEncoding {
    /// Code point of each byte.
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var shifted: UInt32 = 0
        for b in 0..<256 {
            if isPrintable(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + shifted
                shifted += 1
            }
        }
        return table
    }()

    /// Byte of each code point below `scalarLimit`, or -1 where the code point is not in the map.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: Int(scalarLimit))
        for b in 0..<256 { table[Int(byteToScalar[b])] = Int16(b) }
        return table
    }()

    /// One past the largest code point the map uses (U+0143).
    static let scalarLimit: UInt32 = 0x144

    private static func isPrintable(_ b: Int) -> Bool {
        (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
    }

    /// Appends the raw bytes a byte-level token text stands for. Returns false (and restores `out`)
    /// if some code point is outside the map, i.e. the text is not byte-level encoded (llama.cpp
    /// renders such a token as "[UNK_BYTE_…]"; callers here keep its UTF-8 instead).
    static func decode(_ text: String, into out: inout [UInt8]) -> Bool {
        var copy = text
        return copy.withUTF8 { decode($0, into: &out) }
    }

    /// As `decode(_:into:)`, for the (valid) UTF-8 bytes of the text.
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let start = out.count
        var i = 0
        while i < utf8.count {
            let len = min(UTF8Scan.sequenceLength(lead: utf8[i]), utf8.count - i)
            let scalar = UTF8Scan.scalar(utf8, at: i, length: len)
            i += len
            guard scalar < scalarLimit else {
                out.removeSubrange(start..<out.count)
                return false
            }
            let b = scalarToByte[Int(scalar)]
            guard b >= 0 else {
                out.removeSubrange(start..<out.count)
                return false
            }
            out.append(UInt8(b))
        }
        return true
    }
}
