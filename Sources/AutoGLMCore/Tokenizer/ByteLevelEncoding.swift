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
        let start = out.count
        var ok = true
        var utf8 = text.utf8.makeIterator()
        // Decode the (valid) UTF-8 of `text` one scalar at a time.
        while let b0 = utf8.next() {
            let len = UTF8Scan.sequenceLength(lead: b0)
            var scalar: UInt32
            switch len {
            case 1: scalar = UInt32(b0)
            case 2: scalar = UInt32(b0 & 0x1F)
            case 3: scalar = UInt32(b0 & 0x0F)
            default: scalar = UInt32(b0 & 0x07)
            }
            if len > 1 {
                for _ in 1..<len {
                    guard let b = utf8.next() else { break }
                    scalar = scalar << 6 | UInt32(b & 0x3F)
                }
            }
            if scalar < scalarLimit, scalarToByte[Int(scalar)] >= 0 {
                out.append(UInt8(scalarToByte[Int(scalar)]))
            } else {
                ok = false
                break
            }
        }
        if !ok { out.removeSubrange(start..<out.count) }
        return ok
    }
}
