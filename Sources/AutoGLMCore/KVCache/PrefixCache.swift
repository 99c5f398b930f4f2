/// Which idle cached page goes first when the pool needs space.
///
/// The seeds' score is hits × priority_class × (1 + ttl/3600). We keep its ingredients
/// but change the form, for three reasons:
///  - `hits ×` makes every page that was never hit score 0 whatever its priority, so a
///    critical request's fresh system prompt is as cheap to evict as background junk:
///    we use (1 + hits).
///  - it has no recency: a page hit 50 times an hour ago would outlive one in use right
///    now forever. We divide by (1 + age / halfLife), a hyperbolic decay that halves the
///    score after one half-life of idleness.
///  - a longer TTL *raising* the score mixes configuration into usage. Here the TTL is a
///    hard expiry instead: a page idle for longer than its TTL scores below every live page.
///
///   score = weight(priority) × (1 + hits) / (1 + age / halfLife)     (age < ttl)
///   score = −1                                                        (age ≥ ttl)
///
/// Lowest score goes first; among equals the deeper page of a chain goes first. That
/// matters because a chained page is unreachable without its parents: every lookup that
/// reaches a child has touched its parents too, so parents have at least the child's hits
/// and recency, and with the depth tie-break chains shrink from their tail.
public struct PrefixEvictionPolicy: Equatable, Sendable {
    public var ttlNanoseconds: UInt64 = 600 * 1_000_000_000
    public var halfLifeNanoseconds: UInt64 = 60 * 1_000_000_000

    public init() {}

    /// Relative worth of a page by the priority class of the request that made (or last
    /// used) it: background 1, interactive 2, critical 4.
    public static func weight(priorityClass: UInt8) -> Double {
        Double(1 << min(Int(priorityClass), 2))
    }

    public func score(hits: UInt32, priorityClass: UInt8, lastUse: UInt64, now: UInt64) -> Double {
        let age = now > lastUse ? now - lastUse : 0
        if age >= ttlNanoseconds { return -1 }
        return Self.weight(priorityClass: priorityClass) * Double(1 + hits)
            / (1 + Double(age) / Double(max(halfLifeNanoseconds, 1)))
    }
}

/// The prefix cache: full pages of the pool registered under a hash chain of their tokens
/// (seeded with the model fingerprint), so a request whose prompt starts with the same
/// tokens reuses the pages instead of recomputing them. Lookups verify the page's tokens,
/// so a hash collision costs a miss, never wrong KV.
///
/// Index: a linear scan over the pool's page keys. Pools hold a few thousand pages, so a
/// scan is a few microseconds — cheaper to keep correct than a hash table with deletion,
/// and it allocates nothing.
extension KVPagePool {
    /// Hash of page `tokens[0..<tokensPerPage]` chained after `previous` (FNV-1a over the
    /// token ids, then a splitmix64 finalizer). Never 0: 0 marks "not cached".
    public static func chainHash(_ previous: UInt64, _ tokens: UnsafePointer<Int32>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ previous
        for i in 0..<tokensPerPage {
            var v = UInt32(bitPattern: tokens[i])
            for _ in 0..<4 {
                h = (h ^ UInt64(v & 0xff)) &* 0x0000_0100_0000_01b3
                v >>= 8
            }
        }
        h ^= h >> 30; h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h == 0 ? 1 : h
    }

    /// The cached page registered under `key` with these tokens, if any.
    func findCached(key: UInt64, tokens: UnsafePointer<Int32>) -> Int32? {
        for p in 0..<pageCount where cacheKeys[p] == key {
            let stored = cachedTokens + p * Self.tokensPerPage
            var same = true
            for i in 0..<Self.tokensPerPage where stored[i] != tokens[i] { same = false; break }
            if same { return Int32(p) }
        }
        return nil
    }

    func unregister(_ p: Int32) {
        let i = Int(p)
        cacheKeys[i] = 0
        pins[i] = 0
        if refCounts[i] == 0 {
            freeStack[freeCount] = p
            freeCount += 1
        }
    }

    /// The idle, unpinned cached page to evict first (see PrefixEvictionPolicy).
    func evictionVictim(now: UInt64) -> Int32? {
        var best: Int32? = nil
        var bestScore = 0.0
        var bestDepth: Int32 = 0
        for p in 0..<pageCount where refCounts[p] == 0 && cacheKeys[p] != 0 && pins[p] == 0 {
            let s = evictionPolicy.score(hits: hits[p], priorityClass: priorityClasses[p], lastUse: lastUse[p], now: now)
            if best == nil || s < bestScore || (s == bestScore && chainDepths[p] > bestDepth) {
                best = Int32(p)
                bestScore = s
                bestDepth = chainDepths[p]
            }
        }
        return best
    }

    /// Points the empty sequence `s` at the longest cached prefix of `tokens`, at most
    /// `limit` positions (callers keep at least the last prompt token to compute, for its
    /// logits). Returns the positions reused, a multiple of tokensPerPage.
    public func attachCachedPrefix(_ s: Int, tokens: UnsafeBufferPointer<Int32>, limit: Int, priorityClass: UInt8,
                                   now: UInt64) -> Int {
        precondition(inUse[s] && tablePageCounts[s] == 0, "prefix attach needs an empty sequence")
        let maxPages = min(min(limit, tokens.count) / Self.tokensPerPage, pagesPerSequence)
        let table = pageTable(s)
        let hashes = chainHashes + s * pagesPerSequence
        var h = fingerprint
        var n = 0
        while n < maxPages {
            let pageTokens = tokens.baseAddress! + n * Self.tokensPerPage
            h = Self.chainHash(h, pageTokens)
            prefixPagesQueried += 1
            guard let p = findCached(key: h, tokens: pageTokens) else { break }
            prefixPagesHit += 1
            retain(p)
            touch(p, priorityClass: priorityClass, now: now)
            table[n] = p
            hashes[n] = h
            n += 1
        }
        tablePageCounts[s] = n
        hashedPages[s] = n
        lengths[s] = n * Self.tokensPerPage
        return lengths[s]
    }

    private func touch(_ p: Int32, priorityClass: UInt8, now: UInt64) {
        let i = Int(p)
        hits[i] &+= 1
        lastUse[i] = now
        priorityClasses[i] = max(priorityClasses[i], priorityClass)
    }

    /// Registers the full pages of `s` not registered yet. `tokens` are the sequence's
    /// tokens (at least its length). A page whose chain is already cached elsewhere stays
    /// private (the first copy wins).
    public func registerFullPages(_ s: Int, tokens: UnsafePointer<Int32>, priorityClass: UInt8, now: UInt64) {
        let full = lengths[s] / Self.tokensPerPage
        let table = pageTable(s)
        let hashes = chainHashes + s * pagesPerSequence
        var i = hashedPages[s]
        while i < full {
            let pageTokens = tokens + i * Self.tokensPerPage
            let h = Self.chainHash(i == 0 ? fingerprint : hashes[i - 1], pageTokens)
            hashes[i] = h
            let p = Int(table[i])
            if cacheKeys[p] == 0 && findCached(key: h, tokens: pageTokens) == nil {
                cacheKeys[p] = h
                (cachedTokens + p * Self.tokensPerPage).update(from: pageTokens, count: Self.tokensPerPage)
                hits[p] = 0
                lastUse[p] = now
                priorityClasses[p] = priorityClass
                chainDepths[p] = Int32(i)
                pins[p] = 0
            } else if cacheKeys[p] == h {
                touch(Int32(p), priorityClass: priorityClass, now: now)
            }
            i += 1
        }
        hashedPages[s] = full
    }

    /// Pins (delta +1) or unpins (−1) the cached pages of the longest cached prefix of
    /// `tokens`; pinned pages are never evicted. Returns the positions covered.
    @discardableResult
    public func pin(_ tokens: UnsafeBufferPointer<Int32>, delta: Int32 = 1) -> Int {
        var h = fingerprint
        var n = 0
        while (n + 1) * Self.tokensPerPage <= tokens.count {
            let pageTokens = tokens.baseAddress! + n * Self.tokensPerPage
            h = Self.chainHash(h, pageTokens)
            guard let p = findCached(key: h, tokens: pageTokens) else { break }
            pins[Int(p)] = max(0, pins[Int(p)] + delta)
            n += 1
        }
        return n * Self.tokensPerPage
    }

    public func unpin(_ tokens: UnsafeBufferPointer<Int32>) { pin(tokens, delta: -1) }

    /// Share of looked-up prefix pages that were found.
    public var prefixHitRatio: Double {
        prefixPagesQueried == 0 ? 0 : Double(prefixPagesHit) / Double(prefixPagesQueried)
    }
}

extension KVPagePool {
    /// Drops every idle cached page (referenced ones stay until released) and zeroes the
    /// statistics: benchmarks start each level from a cold cache.
    public func clearPrefixCache() {
        for p in 0..<pageCount where cacheKeys[p] != 0 && refCounts[p] == 0 { unregister(Int32(p)) }
        prefixPagesQueried = 0
        prefixPagesHit = 0
        evictions = 0
    }
}
