/// Token text (raw bytes) -> token id, as an open-addressing hash table over one flat byte buffer.
/// Keys are byte strings rather than Swift Strings on purpose: String equality is canonical
/// equivalence ("é" == "e\u{301}"), which would merge distinct tokens, and lookups here take slices
/// of the text being tokenized without allocating.
struct TokenTextIndex {
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int32] = []
    private var keyLengths: [Int32] = []
    private var keyHashes: [UInt32] = []
    private var ids: [Int32] = []
    /// Entry index + 1 per slot, 0 when empty; the slot count is a power of two at least twice the
    /// number of entries, so probes stay short.
    private var slots: [Int32]
    private var mask: Int

    init(expectedCount: Int, expectedBytes: Int) {
        var size = 16
        while size < expectedCount * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        keyBytes.reserveCapacity(expectedBytes)
        keyStarts.reserveCapacity(expectedCount)
        keyLengths.reserveCapacity(expectedCount)
        keyHashes.reserveCapacity(expectedCount)
        ids.reserveCapacity(expectedCount)
    }

    var count: Int { ids.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32 {
        // FNV-1a, 32-bit: cheap and good enough for short keys.
        var h: UInt32 = 0x811C_9DC5
        for i in 0..<n {
            h = (h ^ UInt32(p[i])) &* 0x0100_0193
        }
        return h
    }

    /// Adds `key` -> `id` unless the key is present; returns the id already stored for it, if any.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, id: Int32) -> Int32? {
        let n = key.count
        guard let base = key.baseAddress, n > 0 else { return nil }  // empty keys are never looked up
        let h = TokenTextIndex.hash(base, n)
        if let existing = find(base, n, h) { return existing }
        if (ids.count + 1) * 2 > slots.count { grow() }
        let entry = Int32(ids.count)
        keyStarts.append(Int32(keyBytes.count))
        keyLengths.append(Int32(n))
        keyHashes.append(h)
        keyBytes.append(contentsOf: key)
        ids.append(id)
        place(entry: entry, hash: h)
        return nil
    }

    /// The id of the token whose text is exactly `p[0..<n]`, or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        guard n > 0 else { return nil }
        return find(p, n, TokenTextIndex.hash(p, n))
    }

    func lookup(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return nil }
            return lookup(base, b.count)
        }
    }

    private func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ h: UInt32) -> Int32? {
        var slot = Int(h) & mask
        return slots.withUnsafeBufferPointer { slotsBuf -> Int32? in
            keyBytes.withUnsafeBufferPointer { keys -> Int32? in
                while true {
                    let e = Int(slotsBuf[slot]) - 1
                    if e < 0 { return nil }
                    if keyHashes[e] == h && Int(keyLengths[e]) == n {
                        let start = Int(keyStarts[e])
                        var same = true
                        for i in 0..<n where keys[start + i] != p[i] {
                            same = false
                            break
                        }
                        if same { return ids[e] }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    private mutating func place(entry: Int32, hash: UInt32) {
        var slot = Int(hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry + 1
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        for e in 0..<ids.count { place(entry: Int32(e), hash: keyHashes[e]) }
    }
}
