/// Turns generated token ids into text one token at a time. Each `push` returns only complete UTF-8:
/// a character whose bytes are split across tokens (an emoji in a byte-level vocabulary, a CJK
/// character in byte-fallback tokens) is held back until its last byte arrives; bytes that can never
/// form a character become U+FFFD as soon as that is certain. The concatenation of all pushes and
/// `flush` equals `Tokenizer.decode` of the same ids.
///
/// Called once per generated token, so `push` works in a byte buffer sized once in `init` for the
/// longest token and allocates nothing itself; only the returned String may (Swift stores up to 15
/// UTF-8 bytes inline, which covers almost every token). `push(_:_:)` hands out the bytes instead
/// and never allocates.
public struct StreamingDetokenizer {
    public let tokenizer: Tokenizer
    private var repair = UTF8Repair()
    private var buffer: [UInt8]
    /// Drop one leading space of the whole stream ("llama" vocabularies' space prefix), as decode does.
    private var stripLeadingSpace: Bool

    /// `atSequenceStart`: the ids pushed start a token sequence, so a SentencePiece space prefix is
    /// removed as in `decode`. Pass false when continuing text already shown (e.g. after a prompt).
    public init(tokenizer: Tokenizer, atSequenceStart: Bool = true) {
        self.tokenizer = tokenizer
        buffer = [UInt8](repeating: 0, count: UTF8Repair.maxOutput(forInput: tokenizer.maxPieceLength))
        stripLeadingSpace = atSequenceStart && tokenizer.stripsLeadingSpace
    }

    /// The text token `id` completes (possibly empty). Ids outside the vocabulary add nothing.
    public mutating func push(_ id: Int32) -> String {
        let n = feed(id)
        return text(count: n)
    }

    /// As `push(_:)`, but hands the completed UTF-8 bytes (always valid, possibly empty) to `body`
    /// instead of making a String, so a caller that writes them out (e.g. to a socket buffer)
    /// allocates nothing even for long tokens. The bytes are only valid inside `body`.
    public mutating func push<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let n = feed(id)
        return buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
    }

    /// Runs token `id` through the UTF-8 repair into `buffer`; returns the number of bytes written.
    private mutating func feed(_ id: Int32) -> Int {
        let tok = tokenizer
        var n = 0
        buffer.withUnsafeMutableBufferPointer { out in
            let dst = out.baseAddress!
            tok.withPiece(id) { piece in
                var start = 0
                if stripLeadingSpace && piece.count > 0 {
                    stripLeadingSpace = false
                    if piece[0] == 0x20 { start = 1 }
                }
                for k in start..<piece.count { repair.feed(piece[k], dst, &n) }
            }
        }
        return n
    }

    /// The end of the stream: an incomplete trailing sequence becomes U+FFFD. The detokenizer can be
    /// used again afterwards.
    public mutating func flush() -> String {
        var n = 0
        buffer.withUnsafeMutableBufferPointer { out in repair.finish(out.baseAddress!, &n) }
        return text(count: n)
    }

    private func text(count n: Int) -> String {
        if n == 0 { return "" }
        return buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<n]), as: UTF8.self) }
    }
}
