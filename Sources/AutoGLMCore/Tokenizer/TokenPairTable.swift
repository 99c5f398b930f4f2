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
