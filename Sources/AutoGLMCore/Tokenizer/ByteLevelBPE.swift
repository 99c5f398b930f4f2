/// Byte-level BPE (GPT-2 style, tokenizer.ggml.model = "gpt2"): each pre-token's bytes start as
/// single-byte tokens and the adjacent pair with the lowest merge rank (leftmost on ties) is merged
/// until no ranked pair is left — the order HF tokenizers and llama.cpp both use.
struct ByteLevelBPE {
    /// Pair of token ids -> rank (index in tokenizer.ggml.merges).
    let ranks: TokenPairTable
    /// Per rank: the pair and the token it makes.
    let mergeLeft: [Int32]
    let mergeRight: [Int32]
    let mergeResult: [Int32]
    /// The token for each single byte, -1 if the vocabulary lacks it (such bytes are dropped, as
    /// llama.cpp and HF without an unknown token do).
    let byteTokens: [Int32]
    /// Emit a pre-token that is itself a token without merging (HF `ignore_merges`, llama.cpp for
    /// Llama-3): the merges do not always rebuild such a token.
    let ignoreMerges: Bool

    /// Scratch space reused across the pre-tokens of one `encode` call.
    struct Scratch {
        var ids: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var heap: [UInt64] = []
    }

    /// Appends the tokens of one pre-token `word` (raw bytes, non-empty).
    func encode(_ word: UnsafeBufferPointer<UInt8>, index: TokenTextIndex, scratch s: inout Scratch,
                into out: inout [Int32]) {
        let n = word.count
        guard n > 0, let base = word.baseAddress else { return }
        if ignoreMerges, let id = index.lookup(base, n) {
            out.append(id)
            return
        }
        if n == 1 {
            let id = byteTokens[Int(word[0])]
            if id >= 0 { out.append(id) }
            return
        }
        s.ids.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true)
        s.next.removeAll(keepingCapacity: true)
        s.heap.removeAll(keepingCapacity: true)
        for k in 0..<n {
            s.ids.append(byteTokens[Int(word[k])])
            s.prev.append(Int32(k - 1))
            s.next.append(k + 1 < n ? Int32(k + 1) : -1)
        }
        for k in 0..<(n - 1) { pushPair(Int32(k), &s) }

        while let top = BinaryHeap.pop(&s.heap, <) {
            let rank = Int(top >> 32)
            let left = Int(UInt32(truncatingIfNeeded: top))
            // Skip entries made stale by an earlier merge: a symbol that grew has a new id, one
            // that was absorbed has id -2.
            let right = Int(s.next[left])
            guard right >= 0, s.ids[left] == mergeLeft[rank], s.ids[right] == mergeRight[rank] else { continue }
            s.ids[left] = mergeResult[rank]
            s.ids[right] = -2
            let after = s.next[right]
            s.next[left] = after
            if after >= 0 { s.prev[Int(after)] = Int32(left) }
            let before = s.prev[left]
            if before >= 0 { pushPair(before, &s) }
            if after >= 0 { pushPair(Int32(left), &s) }
        }

        var k: Int32 = 0
        while k >= 0 {
            let id = s.ids[Int(k)]
            if id >= 0 { out.append(id) }
            k = s.next[Int(k)]
        }
    }

    @inline(__always)
    private func pushPair(_ left: Int32, _ s: inout Scratch) {
        let right = s.next[Int(left)]
        let a = s.ids[Int(left)], b = s.ids[Int(right)]
        guard a >= 0, b >= 0, let rank = ranks.lookup(a, b) else { return }
        // Lowest rank first, then leftmost: both orders fit in one integer comparison.
        BinaryHeap.push(&s.heap, UInt64(UInt32(rank)) << 32 | UInt64(UInt32(left)), <)
    }
}
