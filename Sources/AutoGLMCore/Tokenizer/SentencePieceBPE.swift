/// SentencePiece-style BPE (tokenizer.ggml.model = "llama"), as llama.cpp's llm_tokenizer_spm: the
/// text with spaces escaped to U+2581 "▁" starts as one symbol per code point, and the adjacent pair
/// whose concatenation is the vocabulary token with the highest score (leftmost on ties) is merged
/// until no pair forms a token. Code points that end up as no token are written as their UTF-8
/// bytes through the `<0xXX>` byte tokens (byte fallback).
struct SentencePieceBPE {
    let scores: [Float]
    /// `<0xXX>` token of each byte, -1 where missing.
    let byteTokens: [Int32]
    let unknownId: Int32?

    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581

    struct Bigram {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
    }

    struct Scratch {
        var text: [UInt8] = []
        var start: [Int32] = []
        var length: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var heap: [Bigram] = []
    }

    /// Appends the tokens of one text fragment (between special tokens). `prefixSpace` prepends the
    /// "▁" the SentencePiece normaliser adds (add_space_prefix).
    func encode(_ fragment: UnsafeBufferPointer<UInt8>, prefixSpace: Bool, index: TokenTextIndex,
                scratch s: inout Scratch, into out: inout [Int32]) {
        s.text.removeAll(keepingCapacity: true)
        if prefixSpace { s.text.append(contentsOf: SentencePieceBPE.escapedSpace) }
        for b in fragment {
            if b == 0x20 {
                s.text.append(contentsOf: SentencePieceBPE.escapedSpace)
            } else {
                s.text.append(b)
            }
        }
        guard !s.text.isEmpty else { return }

        s.start.removeAll(keepingCapacity: true)
        s.length.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.heap.removeAll(keepingCapacity: true)
        var offset = 0
        while offset < s.text.count {
            let len = min(UTF8Scan.sequenceLength(lead: s.text[offset]), s.text.count - offset)
            let k = s.start.count
            s.start.append(Int32(offset))
            s.length.append(Int32(len))
            s.prev.append(Int32(k - 1))
            offset += len
            s.next.append(offset < s.text.count ? Int32(k + 1) : -1)
        }

        // A second reference to the text buffer, so the loop below can mutate the rest of `s` while
        // reading it (nothing writes s.text until the next call, so this copies nothing).
        let textBytes = s.text
        textBytes.withUnsafeBufferPointer { text in
            guard let base = text.baseAddress else { return }
            for k in 1..<max(1, s.start.count) { addBigram(Int32(k - 1), Int32(k), base, index, &s) }

            while let b = BinaryHeap.pop(&s.heap, SentencePieceBPE.precedes) {
                let l = Int(b.left), r = Int(b.right)
                // Stale if either side was merged away or grew since the pair was queued.
                if s.length[l] == 0 || s.length[r] == 0 || s.length[l] + s.length[r] != b.size { continue }
                s.length[l] += s.length[r]
                s.length[r] = 0
                let after = s.next[r]
                s.next[l] = after
                if after >= 0 { s.prev[Int(after)] = b.left }
                if s.prev[l] >= 0 { addBigram(s.prev[l], b.left, base, index, &s) }
                if after >= 0 { addBigram(b.left, after, base, index, &s) }
            }

            var k: Int32 = 0
            while k >= 0 {
                let start = Int(s.start[Int(k)]), len = Int(s.length[Int(k)])
                if let id = index.lookup(base + start, len) {
                    out.append(id)
                } else {
                    for j in start..<(start + len) {
                        let id = byteTokens[Int(text[j])]
                        if id >= 0 {
                            out.append(id)
                        } else if let unk = unknownId {
                            out.append(unk)
                        }
                    }
                }
                k = s.next[Int(k)]
            }
        }
    }

    @inline(__always)
    private func addBigram(_ left: Int32, _ right: Int32, _ text: UnsafePointer<UInt8>, _ index: TokenTextIndex,
                           _ s: inout Scratch) {
        let start = Int(s.start[Int(left)])
        let size = s.length[Int(left)] + s.length[Int(right)]
        guard let id = index.lookup(text + start, Int(size)) else { return }
        BinaryHeap.push(&s.heap, Bigram(score: scores[Int(id)], left: left, right: right, size: size), SentencePieceBPE.precedes)
    }

    /// Highest score first, then leftmost (llama.cpp's llm_bigram_spm comparator).
    @inline(__always)
    static func precedes(_ a: Bigram, _ b: Bigram) -> Bool {
        a.score > b.score || (a.score == b.score && a.left < b.left)
    }
}
