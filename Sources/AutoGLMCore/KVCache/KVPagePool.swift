/// The KV cache as a fixed pool of pages (KVPageLayout) carved from the arena, with one
/// page table per sequence slot. Pages are reference-counted: sequences that share a
/// prefix point at the same pages, and a write into a shared page copies it first
/// (copy-on-write), so sharing is never visible to a sequence.
///
/// A page is in one of three states:
///   free            on the free stack
///   referenced      refCount ≥ 1 (by sequences)
///   cached, idle    refCount 0 but registered in the prefix cache (PrefixCache.swift):
///                   kept until its space is needed, then evicted by score.
///
/// All bookkeeping is allocated here, once; no method allocates. The pool never holds
/// more than `pageCount` pages: running out is a `false`/nil answer the scheduler turns
/// into preemption or an error.
public final class KVPagePool {
    public static let noPage: Int32 = -1
    public static let tokensPerPage = KVPageLayout.tokensPerPage

    public let layout: KVPageLayout
    public let pageCount: Int
    public let sequenceCapacity: Int
    public let pagesPerSequence: Int
    /// Hash-chain seed: pages of another model (or KV type) can never match.
    public let fingerprint: UInt64
    public var evictionPolicy = PrefixEvictionPolicy()
    let base: UnsafeMutableRawPointer

    // Per page.
    let refCounts: UnsafeMutablePointer<Int32>
    let freeStack: UnsafeMutablePointer<Int32>
    public internal(set) var freeCount: Int
    let cacheKeys: UnsafeMutablePointer<UInt64>        // 0: not in the prefix cache
    let cachedTokens: UnsafeMutablePointer<Int32>      // [pageCount × tokensPerPage]
    let hits: UnsafeMutablePointer<UInt32>
    let lastUse: UnsafeMutablePointer<UInt64>          // clock ns
    let priorityClasses: UnsafeMutablePointer<UInt8>
    let chainDepths: UnsafeMutablePointer<Int32>
    let pins: UnsafeMutablePointer<Int32>

    // Per sequence slot.
    let inUse: UnsafeMutablePointer<Bool>
    let lengths: UnsafeMutablePointer<Int>             // positions with KV written
    let tablePageCounts: UnsafeMutablePointer<Int>
    let tables: UnsafeMutablePointer<Int32>            // [slots × pagesPerSequence]
    let chainHashes: UnsafeMutablePointer<UInt64>      // [slots × pagesPerSequence]
    let hashedPages: UnsafeMutablePointer<Int>         // leading pages whose chain hash is known

    /// Prefix-cache statistics: pages looked up and pages found.
    public internal(set) var prefixPagesQueried = 0
    public internal(set) var prefixPagesHit = 0
    public internal(set) var evictions = 0

    public init(layout: KVPageLayout, pageCount: Int, sequenceCapacity: Int, maxContext: Int,
                storage: UnsafeMutableRawPointer, fingerprint: UInt64) {
        precondition(pageCount >= 1 && pageCount <= KVPageLayout.maxPages && sequenceCapacity >= 1)
        self.layout = layout
        self.pageCount = pageCount
        self.sequenceCapacity = sequenceCapacity
        pagesPerSequence = (maxContext + Self.tokensPerPage - 1) / Self.tokensPerPage
        self.fingerprint = fingerprint == 0 ? 1 : fingerprint
        base = storage
        refCounts = .allocate(capacity: pageCount)
        refCounts.initialize(repeating: 0, count: pageCount)
        freeStack = .allocate(capacity: pageCount)
        // Lowest ids on top, so a fresh pool hands out pages 0, 1, 2, …
        for i in 0..<pageCount { freeStack[i] = Int32(pageCount - 1 - i) }
        freeCount = pageCount
        cacheKeys = .allocate(capacity: pageCount)
        cacheKeys.initialize(repeating: 0, count: pageCount)
        cachedTokens = .allocate(capacity: pageCount * Self.tokensPerPage)
        cachedTokens.initialize(repeating: 0, count: pageCount * Self.tokensPerPage)
        hits = .allocate(capacity: pageCount)
        hits.initialize(repeating: 0, count: pageCount)
        lastUse = .allocate(capacity: pageCount)
        lastUse.initialize(repeating: 0, count: pageCount)
        priorityClasses = .allocate(capacity: pageCount)
        priorityClasses.initialize(repeating: 0, count: pageCount)
        chainDepths = .allocate(capacity: pageCount)
        chainDepths.initialize(repeating: 0, count: pageCount)
        pins = .allocate(capacity: pageCount)
        pins.initialize(repeating: 0, count: pageCount)
        inUse = .allocate(capacity: sequenceCapacity)
        inUse.initialize(repeating: false, count: sequenceCapacity)
        lengths = .allocate(capacity: sequenceCapacity)
        lengths.initialize(repeating: 0, count: sequenceCapacity)
        tablePageCounts = .allocate(capacity: sequenceCapacity)
        tablePageCounts.initialize(repeating: 0, count: sequenceCapacity)
        tables = .allocate(capacity: sequenceCapacity * pagesPerSequence)
        tables.initialize(repeating: Self.noPage, count: sequenceCapacity * pagesPerSequence)
        chainHashes = .allocate(capacity: sequenceCapacity * pagesPerSequence)
        chainHashes.initialize(repeating: 0, count: sequenceCapacity * pagesPerSequence)
        hashedPages = .allocate(capacity: sequenceCapacity)
        hashedPages.initialize(repeating: 0, count: sequenceCapacity)
    }

    deinit {
        refCounts.deallocate(); freeStack.deallocate(); cacheKeys.deallocate(); cachedTokens.deallocate()
        hits.deallocate(); lastUse.deallocate(); priorityClasses.deallocate(); chainDepths.deallocate(); pins.deallocate()
        inUse.deallocate(); lengths.deallocate(); tablePageCounts.deallocate(); tables.deallocate()
        chainHashes.deallocate(); hashedPages.deallocate()
    }

    // MARK: pages

    @inline(__always)
    func page(_ id: Int32) -> UnsafeMutableRawPointer { base + Int(id) * layout.pageBytes }

    /// Pages referenced by at least one sequence.
    public var referencedPageCount: Int {
        var n = 0
        for p in 0..<pageCount where refCounts[p] > 0 { n += 1 }
        return n
    }

    /// Idle pages kept by the prefix cache.
    public var cachedIdlePageCount: Int {
        var n = 0
        for p in 0..<pageCount where refCounts[p] == 0 && cacheKeys[p] != 0 { n += 1 }
        return n
    }

    /// Cached pages held by at least one pin (never evicted while pinned).
    public var pinnedPageCount: Int {
        var n = 0
        for p in 0..<pageCount where cacheKeys[p] != 0 && pins[p] > 0 { n += 1 }
        return n
    }

    /// Pages a caller could obtain now: free plus evictable cached ones.
    public var obtainablePageCount: Int {
        var n = freeCount
        for p in 0..<pageCount where refCounts[p] == 0 && cacheKeys[p] != 0 && pins[p] == 0 { n += 1 }
        return n
    }

    /// A page for writing (refCount 1): from the free stack, else by evicting the
    /// lowest-scoring idle cached page; nil when neither exists.
    func takePage(now: UInt64) -> Int32? {
        if freeCount == 0 {
            guard let victim = evictionVictim(now: now) else { return nil }
            unregister(victim)  // onto the free stack
            evictions += 1
        }
        freeCount -= 1
        let p = freeStack[freeCount]
        refCounts[Int(p)] = 1
        return p
    }

    func retain(_ p: Int32) { refCounts[Int(p)] += 1 }

    func release(_ p: Int32) {
        let i = Int(p)
        precondition(refCounts[i] > 0, "KV page released more often than retained")
        refCounts[i] -= 1
        if refCounts[i] == 0 && cacheKeys[i] == 0 {
            freeStack[freeCount] = p
            freeCount += 1
        }
    }

    // MARK: sequences

    /// A free sequence slot, now in use and empty; nil when every slot is taken.
    public func acquireSequence() -> Int? {
        for s in 0..<sequenceCapacity where !inUse[s] {
            inUse[s] = true
            return s
        }
        return nil
    }

    /// Takes slot `s` if it is free (the single-sequence API addresses slots directly).
    public func claimSequence(_ s: Int) {
        precondition(s >= 0 && s < sequenceCapacity, "sequence \(s) outside 0..<\(sequenceCapacity)")
        inUse[s] = true
    }

    public func isInUse(_ s: Int) -> Bool { inUse[s] }

    /// Drops every page of `s` (cached pages stay in the prefix cache) and frees the slot.
    public func releaseSequence(_ s: Int) {
        truncate(s, pages: 0)
        lengths[s] = 0
        inUse[s] = false
    }

    /// Positions of `s` whose KV is written.
    public func length(_ s: Int) -> Int { lengths[s] }

    public func pageTable(_ s: Int) -> UnsafeMutablePointer<Int32> { tables + s * pagesPerSequence }

    public func pageCount(of s: Int) -> Int { tablePageCounts[s] }

    private func truncate(_ s: Int, pages keep: Int) {
        let table = pageTable(s)
        while tablePageCounts[s] > keep {
            tablePageCounts[s] -= 1
            release(table[tablePageCounts[s]])
            table[tablePageCounts[s]] = Self.noPage
        }
        hashedPages[s] = min(hashedPages[s], keep)
    }

    /// Makes positions start..<end of `s` writable: pages past `end` are dropped, missing
    /// ones taken, and shared ones in the written range copied (copy-on-write). After it
    /// returns true the sequence holds exactly `end` positions. False when the pool has no
    /// page left; `s` then keeps its first `start` positions and whatever pages it had.
    public func reserve(_ s: Int, from start: Int, to end: Int, now: UInt64) -> Bool {
        precondition(inUse[s] && start >= 0 && start <= end && start <= lengths[s], "reserve: bad range \(start)..<\(end)")
        let needed = (end + Self.tokensPerPage - 1) / Self.tokensPerPage
        precondition(needed <= pagesPerSequence, "sequence longer than the context")
        let firstWritten = start / Self.tokensPerPage
        truncate(s, pages: needed)
        hashedPages[s] = min(hashedPages[s], firstWritten)
        lengths[s] = start
        let table = pageTable(s)
        // Copy-on-write for kept pages that will be written.
        var i = firstWritten
        while i < tablePageCounts[s] {
            let p = table[i]
            if refCounts[Int(p)] > 1 {
                guard let copy = takePage(now: now) else { return false }
                page(copy).copyMemory(from: UnsafeRawPointer(page(p)), byteCount: layout.pageBytes)
                release(p)
                table[i] = copy
            } else if cacheKeys[Int(p)] != 0 {
                // Ours alone but registered: its content is about to change.
                unregister(p)
            }
            i += 1
        }
        while tablePageCounts[s] < needed {
            guard let p = takePage(now: now) else { return false }
            table[tablePageCounts[s]] = p
            tablePageCounts[s] += 1
        }
        lengths[s] = end
        return true
    }

    /// A new slot sharing every page of `s` (forked sessions, beam-like branching).
    /// Nothing is copied until one of them writes into a shared page.
    public func fork(_ s: Int) -> Int? {
        guard let f = acquireSequence() else { return nil }
        let from = pageTable(s)
        let to = pageTable(f)
        for i in 0..<tablePageCounts[s] {
            to[i] = from[i]
            retain(from[i])
            chainHashes[f * pagesPerSequence + i] = chainHashes[s * pagesPerSequence + i]
        }
        tablePageCounts[f] = tablePageCounts[s]
        hashedPages[f] = hashedPages[s]
        lengths[f] = lengths[s]
        return f
    }
}
