/// NFC, for vocabularies whose HF tokenizer normalises text before splitting it (Qwen2's
/// tokenizer.json has an NFC normalizer; llama.cpp applies none, so it differs from HF there).
/// Standard Unicode algorithm (UAX #15): full canonical decomposition, canonical ordering of
/// combining marks, then canonical composition; data from UnicodeTables (see
/// tools/gen_unicode_tables.py), Hangul arithmetically.
enum UnicodeNFC {
    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let nCount: UInt32 = 588, sCount: UInt32 = 11172

    /// False when the text is certainly NFC already (no code point NFC could change), which is
    /// almost always; only then is `normalize` worth calling.
    static func mayChange(_ scalars: UnsafeBufferPointer<UInt32>) -> Bool {
        for c in scalars where c >= 0x300 && ScalarClass.inRanges(UnicodeTables.nfcMaybeChanges, c) { return true }
        return false
    }

    /// Replaces `scalars` with their NFC form. `work` is scratch space.
    static func normalize(_ scalars: inout [UInt32], work: inout [UInt32]) {
        work.removeAll(keepingCapacity: true)
        for c in scalars { decompose(c, into: &work) }
        compose(&work)
        swap(&scalars, &work)
    }

    static func combiningClass(_ c: UInt32) -> UInt8 {
        if c < 0x300 { return 0 }
        let t = UnicodeTables.combiningClasses
        var lo = 0, hi = t.count / 3
        while lo < hi {
            let mid = (lo + hi) / 2
            if c < t[3 * mid] {
                hi = mid
            } else if c > t[3 * mid + 1] {
                lo = mid + 1
            } else {
                return UInt8(t[3 * mid + 2])
            }
        }
        return 0
    }

    /// Appends the full canonical decomposition of `c`, keeping combining marks in canonical order
    /// (a stable sort by combining class of each run of non-starters).
    private static func decompose(_ c: UInt32, into out: inout [UInt32]) {
        if c >= sBase && c < sBase + sCount {
            let s = c - sBase
            append(lBase + s / nCount, &out)
            append(vBase + (s % nCount) / tCount, &out)
            if s % tCount != 0 { append(tBase + s % tCount, &out) }
            return
        }
        if c >= 0xC0, let k = index(of: c, in: UnicodeTables.decompositionKeys) {
            let a = Int(UnicodeTables.decompositionStarts[k]), b = Int(UnicodeTables.decompositionStarts[k + 1])
            for i in a..<b { append(UnicodeTables.decompositionScalars[i], &out) }
            return
        }
        append(c, &out)
    }

    private static func append(_ c: UInt32, _ out: inout [UInt32]) {
        out.append(c)
        let cc = combiningClass(c)
        if cc == 0 { return }
        var i = out.count - 1
        while i > 0 {
            let prev = combiningClass(out[i - 1])
            if prev <= cc { break }  // starters (0) stop the run; equal classes keep their order
            out.swapAt(i, i - 1)
            i -= 1
        }
    }

    /// Canonical composition in place: each mark joins the last starter unless something between
    /// them blocks it (a starter, or a mark of the same or higher class).
    private static func compose(_ s: inout [UInt32]) {
        guard s.count > 1 else { return }
        var starter = 0
        var lastClass = Int(combiningClass(s[0]))
        if lastClass != 0 { lastClass = 256 }  // text that starts with a mark has no starter to join
        var out = 1
        for i in 1..<s.count {
            let c = s[i]
            let cc = Int(combiningClass(c))
            if lastClass < cc || lastClass == 0, let composite = pair(s[starter], c) {
                s[starter] = composite
                continue
            }
            if cc == 0 { starter = out }
            lastClass = cc
            s[out] = c
            out += 1
        }
        s.removeSubrange(out..<s.count)
    }

    private static func pair(_ a: UInt32, _ b: UInt32) -> UInt32? {
        if a >= lBase && a < lBase + lCount && b >= vBase && b < vBase + vCount {
            return sBase + ((a - lBase) * vCount + (b - vBase)) * tCount
        }
        if a >= sBase && a < sBase + sCount && (a - sBase) % tCount == 0 && b > tBase && b < tBase + tCount {
            return a + (b - tBase)
        }
        let key = UInt64(a) << 32 | UInt64(b)
        guard let i = index(of: key, in: UnicodeTables.compositionKeys) else { return nil }
        return UnicodeTables.compositionValues[i]
    }

    /// Binary search of a sorted table.
    private static func index<Key: Comparable>(of c: Key, in keys: [Key]) -> Int? {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < c {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo < keys.count && keys[lo] == c ? lo : nil
    }
}
