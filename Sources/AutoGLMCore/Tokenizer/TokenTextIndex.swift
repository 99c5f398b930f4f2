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

/// (left token id, right token id) -> merge rank, open addressing over packed 64-bit keys. Swift's
/// Dictionary would do, but this loads 280k merges several times faster (no per-key SipHash).
struct TokenPairTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(expectedCount: Int) {
        var size = 16
        while size < expectedCount * 2 { size <<= 1 }
        keys = [UInt64](repeating: TokenPairTable.empty, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        // Fibonacci hashing: the high bits of the product are well mixed.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Stores `value` for the pair unless it is present (the first merge of a pair wins, as in
    /// llama.cpp and HF). Returns whether it was added.
    @discardableResult
    mutating func insertIfAbsent(_ left: Int32, _ right: Int32, value: Int32) -> Bool {
        if (count + 1) * 2 > keys.count { grow() }
        let k = TokenPairTable.key(left, right)
        var s = slot(for: k)
        while keys[s] != TokenPairTable.empty {
            if keys[s] == k { return false }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = value
        count += 1
        return true
    }

    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> Int32? {
        let k = TokenPairTable.key(left, right)
        var s = slot(for: k)
        while true {
            let stored = keys[s]
            if stored == k { return values[s] }
            if stored == TokenPairTable.empty { return nil }
            s = (s + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: TokenPairTable.empty, count: oldKeys.count * 2)
        values = [Int32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for i in 0..<oldKeys.count where oldKeys[i] != TokenPairTable.empty {
            var s = slot(for: oldKeys[i])
            while keys[s] != TokenPairTable.empty { s = (s + 1) & mask }
            keys[s] = oldKeys[i]
            values[s] = oldValues[i]
        }
    }
}
