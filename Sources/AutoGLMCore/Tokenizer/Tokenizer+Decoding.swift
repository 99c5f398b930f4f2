/// Ids → bytes and text.
extension Tokenizer {
    // MARK: decoding

    /// The text of `ids`: the tokens' bytes concatenated, then read as UTF-8 with each invalid
    /// sequence replaced by U+FFFD. For "llama" vocabularies with add_space_prefix, one leading space
    /// is removed (the prefix the encoder added), as llama.cpp and HF do. Ids outside the vocabulary
    /// contribute nothing.
    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids { withPiece(id) { bytes.append(contentsOf: $0) } }
        var skip = 0
        if stripsLeadingSpace && bytes.first == 0x20 { skip = 1 }
        var repair = UTF8Repair()
        let capacity = UTF8Repair.maxOutput(forInput: bytes.count)
        let text = [UInt8](unsafeUninitializedCapacity: capacity) { buf, count in
            var n = 0
            for k in skip..<bytes.count { repair.feed(bytes[k], buf.baseAddress!, &n) }
            repair.finish(buf.baseAddress!, &n)
            count = n
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The raw bytes token `id` stands for: for normal tokens the text they encode (byte-level
    /// tokens decoded, "▁" turned back into spaces), for byte tokens their byte, and for control,
    /// unknown and user-defined tokens their text as written in the vocabulary (what llama.cpp
    /// renders with special-token rendering on). Empty for ids outside the vocabulary.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        var out: [UInt8] = []
        withPiece(id) { out.append(contentsOf: $0) }
        return out
    }

    public func tokenType(_ id: Int32) -> TokenType? {
        guard id >= 0, Int(id) < vocabularySize else { return nil }
        return tokenTypes[Int(id)]
    }

    /// Whether generation should stop at `id`: EOS, EOT, EOM and the other tokens llama.cpp treats
    /// as end of generation (<|eot_id|>, <|im_end|>, <|endoftext|>, <end_of_turn>, FIM pad/repo/
    /// file-separator tokens, ...; see EndOfGenerationNames).
    public func isEndOfGeneration(_ id: Int32) -> Bool {
        guard id >= 0, Int(id) < vocabularySize else { return false }
        return endOfGeneration[Int(id)]
    }

    var stripsLeadingSpace: Bool { model == .sentencePieceBPE && addSpacePrefix }

    var normalizesNFC: Bool {
        if case .byteLevel(_, _, let nfc) = encoder { return nfc }
        return false
    }

    /// Calls `body` with the bytes of token `id` (empty if out of range) without copying them.
    @inline(__always)
    func withPiece<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        pieces.withUnsafeBufferPointer { all in
            guard id >= 0, Int(id) < vocabularySize else { return body(UnsafeBufferPointer(rebasing: all[0..<0])) }
            let a = Int(pieceStarts[Int(id)]), b = Int(pieceStarts[Int(id) + 1])
            return body(UnsafeBufferPointer(rebasing: all[a..<b]))
        }
    }
}
