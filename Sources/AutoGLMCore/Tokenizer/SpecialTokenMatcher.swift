/// Finds special tokens (control, user-defined and unknown-type tokens) in raw input text before it
/// is tokenized, so "<|im_start|>" becomes its one id rather than the pieces of its characters.
/// Matching is leftmost-longest, like HF tokenizers' added-vocabulary split: at each position the
/// longest special token that starts there wins.
struct SpecialTokenMatcher {
    struct Candidate {
        var id: Int32
        var start: Int32   // into `text`
        var length: Int32
        /// User-defined tokens are split out even when special-token parsing is off (llama.cpp and
        /// HF both do: they are ordinary added words, not control tokens).
        var alwaysMatched: Bool
    }

    private var text: [UInt8] = []
    /// Candidates sorted by first byte, then longest first; `bucketStart[b]..<bucketStart[b + 1]`
    /// are those starting with byte b.
    private var candidates: [Candidate] = []
    private var bucketStart: [Int32] = []

    var count: Int { candidates.count }

    /// `tokens`: (id, raw text bytes, always matched). Empty texts are skipped.
    init(_ tokens: [(Int32, [UInt8], Bool)]) {
        var byFirst = [[Candidate]](repeating: [], count: 256)
        for (id, bytes, always) in tokens where !bytes.isEmpty {
            byFirst[Int(bytes[0])].append(Candidate(id: id, start: Int32(text.count), length: Int32(bytes.count),
                                                    alwaysMatched: always))
            text.append(contentsOf: bytes)
        }
        bucketStart.reserveCapacity(257)
        for b in 0..<256 {
            bucketStart.append(Int32(candidates.count))
            // Longest first; equal lengths by id so the order never depends on input order.
            let sorted = byFirst[b].sorted { $0.length != $1.length ? $0.length > $1.length : $0.id < $1.id }
            candidates.append(contentsOf: sorted)
        }
        bucketStart.append(Int32(candidates.count))
    }

    /// The longest special token starting at `p[i]`, as (id, byte length).
    @inline(__always)
    func match(_ p: UnsafeBufferPointer<UInt8>, at i: Int, parseSpecial: Bool) -> (Int32, Int)? {
        let first = Int(p[i])
        let lo = Int(bucketStart[first]), hi = Int(bucketStart[first + 1])
        if lo == hi { return nil }
        let remaining = p.count - i
        for c in lo..<hi {
            let cand = candidates[c]
            let len = Int(cand.length)
            guard len <= remaining, parseSpecial || cand.alwaysMatched else { continue }
            let start = Int(cand.start)
            var same = true
            for k in 1..<max(1, len) where text[start + k] != p[i + k] {
                same = false
                break
            }
            if same { return (cand.id, len) }
        }
        return nil
    }
}
